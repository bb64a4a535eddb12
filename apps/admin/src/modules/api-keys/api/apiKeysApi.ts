import type { ApiKeyView, CreateApiKeyRequest, CreatedApiKey } from '@margin/contracts';
import { apiRequest } from '../../../shared/api/client';

export const apiKeysQueryKey = ['api-keys'] as const;

export function fetchApiKeys(signal?: AbortSignal): Promise<ApiKeyView[]> {
  return apiRequest<ApiKeyView[]>('/api-keys', { signal });
}

export function createApiKey(request: CreateApiKeyRequest): Promise<CreatedApiKey> {
  return apiRequest<CreatedApiKey>('/api-keys', { method: 'POST', body: request });
}

export function revokeApiKey(id: string): Promise<void> {
  return apiRequest<void>(`/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
