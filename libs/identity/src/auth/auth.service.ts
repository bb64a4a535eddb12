import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { roleAtLeast, type LoginResponse, type MeResponse, type SignupResponse } from '@margin/contracts';
import { apiKeyPrefix, AppConfig, Clock, hashApiKey, monthPeriodUtc, NotFoundError, PasswordHasher } from '@margin/core';
import { timingSafeEqual } from 'node:crypto';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { VerifiedKeyCache } from '../api-keys/verified-key-cache';
import { EmailTakenError, InvalidCredentialsError, SignupClosedError } from '../identity.errors';
import { toApiKeyView, toTenantView, toUserView } from '../identity.mappers';
import { TenantRepository } from '../tenants/tenant.repository';
import { UserRepository } from '../users/user.repository';
import type { UserEntity } from '../users/user.entity';
import { LoginAttemptLimiter } from './login-attempts';
import type { Principal } from './principal';
import { TenantUsageSource } from './tenant-usage';

export interface JwtPayload {
  sub: string;
  tid: string;
  /** Issued at (seconds), set by the signer. */
  iat?: number;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  /** Verified against when the email is unknown, so both failures take the same time. */
  private decoyHash?: Promise<string>;

  constructor(
    private readonly users: UserRepository,
    private readonly tenants: TenantRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly attempts: LoginAttemptLimiter,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly verifiedKeys: VerifiedKeyCache,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Usage comes from the analysis module when the app has it (looked up lazily: it depends on identity). */
  private usageSource(): TenantUsageSource | undefined {
    try {
      return this.moduleRef.get(TenantUsageSource, { strict: false });
    } catch {
      return undefined;
    }
  }

  /** `client`: the caller's address, so that failed guesses lock out that client only, never the account's owner. */
  async login(email: string, password: string, client: string): Promise<LoginResponse> {
    await this.attempts.assertAllowed(email, client);
    const user = await this.users.findByEmailWithPassword(email);
    this.decoyHash ??= this.hasher.hash('decoy password for timing');
    const ok = await this.hasher.verify(password, user?.passwordHash ?? (await this.decoyHash));
    if (!user || !ok) {
      await this.attempts.recordFailure(email, client);
      throw new InvalidCredentialsError();
    }
    await this.attempts.reset(email, client);
    await this.users.update(user.tenantId, user.id, { lastLoginAt: this.clock.now() });
    this.logger.log({ userId: user.id, tenantId: user.tenantId }, 'User logged in');
    return this.issue(user);
  }

  async signup(input: { email: string; password: string; tenantName: string }): Promise<SignupResponse> {
    if (!this.config.allowSignup) throw new SignupClosedError();
    if (await this.users.existsByEmail(input.email)) throw new EmailTakenError();
    const passwordHash = await this.hasher.hash(input.password);
    // Two sign-ups racing for one email: the repository throws the same EmailTakenError to the loser (409).
    const created = await this.tenants.createWithOwner({
      tenant: { name: input.tenantName, plan: 'free', isOperator: false },
      owner: { email: input.email.toLowerCase(), passwordHash, role: 'owner' },
    });
    this.logger.log({ tenantId: created.tenant.id, userId: created.owner.id }, 'Tenant signed up');
    return { ...this.issue(created.owner), tenant: toTenantView(created.tenant) };
  }

  async me(principal: Principal): Promise<MeResponse> {
    const [tenant, user, apiKey] = await Promise.all([
      this.tenants.findById(principal.tenantId),
      principal.userId ? this.users.findById(principal.tenantId, principal.userId) : null,
      principal.apiKeyId ? this.apiKeys.findById(principal.tenantId, principal.apiKeyId) : null,
    ]);
    if (!tenant) throw new NotFoundError('Tenant');
    const { start, end } = monthPeriodUtc(this.clock.now());
    const key = apiKey ? toApiKeyView(apiKey) : null;
    const usage = await this.usageSource()?.usage(tenant.id, tenant.plan, { start, end });
    return {
      user: user ? toUserView(user) : null,
      apiKey: key ? { id: key.id, name: key.name, prefix: key.prefix, role: key.role } : null,
      tenant: toTenantView(tenant),
      authenticatedVia: principal.via,
      usage: { periodStart: start.toISOString(), resetsAt: end.toISOString(), ...usage },
    };
  }

  /** For non-HTTP transports (the progress feed's handshake): a bearer JWT, or null when it is not valid. */
  async principalFromAccessToken(token: string): Promise<Principal | null> {
    try {
      return await this.principalFromJwt(this.jwt.verify<JwtPayload>(token, { algorithms: ['HS256'] }));
    } catch {
      return null;
    }
  }

  /** The JWT proves identity; the role is read fresh so that a change takes effect at once. */
  async principalFromJwt(payload: JwtPayload): Promise<Principal | null> {
    if (typeof payload?.sub !== 'string' || typeof payload?.tid !== 'string') return null;
    const found = await this.users.findForPrincipal(payload.tid, payload.sub);
    if (!found) return null;
    const { user, isOperator } = found;
    // a session from before the last password change is over (iat has whole seconds: compare in seconds)
    if (user.sessionsValidAfter && (typeof payload.iat !== 'number' || payload.iat < Math.floor(user.sessionsValidAfter.getTime() / 1000))) return null;
    return { tenantId: user.tenantId, role: user.role, userId: user.id, apiKeyId: null, via: 'jwt', operator: isOperator };
  }

  /** A revoked key is not found, so it stops working on the very next request. */
  async principalFromApiKey(key: string): Promise<Principal | null> {
    const prefix = apiKeyPrefix(key);
    if (!prefix) return null;
    const keyHash = hashApiKey(key);
    const cached = this.verifiedKeys.get(keyHash);
    if (cached) return cached;
    const stored = await this.apiKeys.findActiveByPrefixWithHash(prefix);
    if (!stored) return null;
    const expected = Buffer.from(stored.keyHash, 'hex');
    const actual = Buffer.from(keyHash, 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
    const principal: Principal = {
      tenantId: stored.tenantId,
      // a key never acts above the current role of the user who made it (a demoted admin's keys are demoted too)
      role: stored.creatorRole && !roleAtLeast(stored.creatorRole, stored.role) ? stored.creatorRole : stored.role,
      userId: stored.createdByUserId,
      apiKeyId: stored.id,
      via: 'api-key',
      operator: stored.tenantIsOperator,
    };
    this.verifiedKeys.set(keyHash, principal);
    return principal;
  }

  private issue(user: UserEntity): LoginResponse {
    const payload: JwtPayload = { sub: user.id, tid: user.tenantId };
    return {
      accessToken: this.jwt.sign(payload, { expiresIn: this.config.jwtExpiresInSeconds }),
      expiresIn: this.config.jwtExpiresInSeconds,
      user: { id: user.id, email: user.email, role: user.role, tenantId: user.tenantId },
    };
  }
}
