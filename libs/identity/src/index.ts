export * from './identity.module';
export * from './auth/decorators';
export * from './auth/principal';
export * from './auth/tenant-usage';
export * from './auth/strategies';
export { AuthService } from './auth/auth.service';
export { RateLimitIdentity } from './auth/rate-limit-identity';
export * from './bootstrap/owner-bootstrap.service';
export * from './identity.errors';
export { TenantEntity } from './tenants/tenant.entity';
export { TenantRepository } from './tenants/tenant.repository';
export { UserEntity } from './users/user.entity';
export { ApiKeyEntity } from './api-keys/api-key.entity';
import { SessionsAfter1765000000000 } from './migrations/1765000000000-sessions-after';
import { IdentitySchema1763700000000 } from './migrations/1763700000000-identity-schema';
import { SignupRequests1765000000200 } from './migrations/1765000000200-signup-requests';

/** Identity's schema history, in order; apps compose every module's list into one data source. */
export const IDENTITY_MIGRATIONS = [IdentitySchema1763700000000, SessionsAfter1765000000000, SignupRequests1765000000200];
export { LoginAttemptLimiter } from './auth/login-attempts';
