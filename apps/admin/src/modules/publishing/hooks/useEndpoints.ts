import type { CreateEndpointRequest, UpdateEndpointRequest } from '@margin/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createEndpoint, deleteEndpoint, endpointsQueryKey, fetchEndpoints, testEndpoint, updateEndpoint } from '../api/endpointsApi';

export function useEndpoints(options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: endpointsQueryKey,
    queryFn: ({ signal }) => fetchEndpoints(signal),
    enabled: options.enabled ?? true,
  });
}

export function useCreateEndpoint() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: CreateEndpointRequest) => createEndpoint(request),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointsQueryKey }),
  });
}

export function useUpdateEndpoint() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, request }: { id: string; request: UpdateEndpointRequest }) => updateEndpoint(id, request),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointsQueryKey }),
  });
}

export function useDeleteEndpoint() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => deleteEndpoint(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointsQueryKey }),
  });
}

/** Each row has its own test result, so the mutation lives in the row. */
export function useTestEndpoint() {
  return useMutation({ mutationFn: (id: string) => testEndpoint(id) });
}
