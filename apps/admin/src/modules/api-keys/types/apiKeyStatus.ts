import type { ApiKeyView } from '@margin/contracts';

export type ApiKeyStatus = 'active' | 'revoked';

export function apiKeyStatus(key: Pick<ApiKeyView, 'revokedAt'>): ApiKeyStatus {
  return key.revokedAt ? 'revoked' : 'active';
}
