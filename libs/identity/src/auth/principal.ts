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
