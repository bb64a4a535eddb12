import type { CreateApiKeyRequest } from '@margin/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiKeysQueryKey, createApiKey, fetchApiKeys, revokeApiKey } from '../api/apiKeysApi';

export function useApiKeys() {
  return useQuery({
    queryKey: apiKeysQueryKey,
    queryFn: ({ signal }) => fetchApiKeys(signal),
  });
}

export function useCreateApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: CreateApiKeyRequest) => createApiKey(request),
    // The response holds the full secret: don't keep it in the mutation cache after the form unmounts.
    gcTime: 0,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiKeysQueryKey }),
  });
}

export function useRevokeApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => revokeApiKey(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiKeysQueryKey }),
  });
}
