import type { RouteRequest, UpdateModelRequest, UpdatePolicyRequest, UpdateProviderRequest } from '@margin/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  explainRoute,
  fetchModels,
  fetchPolicy,
  fetchProviders,
  modelsQueryKey,
  policyQueryKey,
  providersQueryKey,
  updateModel,
  updatePolicy,
  updateProvider,
} from '../api/routerApi';

/** Admin-only on the server: pass `enabled: false` for other roles instead of collecting a 403. */
export function useProviders(options: { enabled: boolean }) {
  return useQuery({
    queryKey: providersQueryKey,
    queryFn: ({ signal }) => fetchProviders(signal),
    enabled: options.enabled,
  });
}

export function useUpdateProvider() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, request }: { id: string; request: UpdateProviderRequest }) => updateProvider(id, request),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: providersQueryKey }),
  });
}

export function useModels() {
  return useQuery({
    queryKey: modelsQueryKey,
    queryFn: ({ signal }) => fetchModels(signal),
  });
}

export function useUpdateModel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, request }: { id: string; request: UpdateModelRequest }) => updateModel(id, request),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelsQueryKey }),
  });
}

export function usePolicy() {
  return useQuery({
    queryKey: policyQueryKey,
    queryFn: ({ signal }) => fetchPolicy(signal),
  });
}

export function useUpdatePolicy() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: UpdatePolicyRequest) => updatePolicy(request),
    onSuccess: (policy) => {
      queryClient.setQueryData(policyQueryKey, policy);
      return queryClient.invalidateQueries({ queryKey: policyQueryKey });
    },
  });
}

export function useExplainRoute() {
  return useMutation({
    mutationFn: (request: RouteRequest) => explainRoute(request),
  });
}
