import type { Role } from '@margin/contracts';

/** Who is calling: resolved by the auth guard on every request, attached as `request.user`. */
export interface Principal {
  tenantId: string;
  role: Role;
  /** The person (JWT) or the key's creator (API key; null once that user is deleted). */
  userId: string | null;
  apiKeyId: string | null;
  via: 'jwt' | 'api-key';
  /** The caller belongs to the operator's tenant, which administers the installation (providers, catalog). */
  operator: boolean;
}

/**
 * ChangeFeed topics published when a principal may have lost access (a key revoked; a user deleted, given
 * another role), so that whoever holds long-lived credentials (progress sockets) checks them again at once.
 * Identity publishes `api-keys` for all of these (VerifiedKeyCache.invalidateEverywhere).
 */
export const CREDENTIAL_CHANGE_TOPICS = ['api-keys'] as const;
