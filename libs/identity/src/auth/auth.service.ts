import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { roleAtLeast, type LoginResponse, type MeResponse, type SignupPendingResponse, type SignupResponse } from '@margin/contracts';
import { apiKeyPrefix, AppConfig, Clock, hashApiKey, Mailer, monthPeriodUtc, NotFoundError, PasswordHasher } from '@margin/core';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { VerifiedKeyCache } from '../api-keys/verified-key-cache';
import { EmailTakenError, InvalidCredentialsError, InvalidSignupTokenError, SignupClosedError } from '../identity.errors';
import { toApiKeyView, toTenantView, toUserView } from '../identity.mappers';
import { TenantRepository } from '../tenants/tenant.repository';
import { UserRepository } from '../users/user.repository';
import type { UserEntity } from '../users/user.entity';
import { LoginAttemptLimiter } from './login-attempts';
import { SignupRequestRepository, type SignupRequest } from './signup-requests.repository';
import type { Principal } from './principal';
import { TenantUsageSource } from './tenant-usage';

export interface JwtPayload {
  sub: string;
  tid: string;
  /** Issued at (seconds), set by the signer. */
  iat?: number;
}

/** How long a mailed sign-up link works. */
const SIGNUP_LINK_TTL_MS = 24 * 60 * 60 * 1000;

const signupTokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

@Injectable()
export class AuthService implements OnApplicationBootstrap {
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
    private readonly signups: SignupRequestRepository,
    private readonly mailer: Mailer,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.allowSignup && !this.config.signupConfirmEmail) {
      this.logger.warn(
        'Sign-up is open without a confirmation mail: it answers 409 for a taken email. Set SMTP_URL (or ALLOW_SIGNUP=false) on a public installation.',
      );
    }
  }

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

  /**
   * A new tenant on the free plan, owned by this user. With SIGNUP_CONFIRM_EMAIL the answer is the same for a
   * new and a taken address (so the form cannot tell who has an account): the mail says which, and a new
   * address gets the link that finishes the sign-up (`confirmSignup`).
   */
  async signup(input: { email: string; password: string; tenantName: string }): Promise<SignupResponse | SignupPendingResponse> {
    if (!this.config.allowSignup) throw new SignupClosedError();
    const email = input.email.toLowerCase();
    if (this.config.signupConfirmEmail)
      return this.requestSignup({ email, tenantName: input.tenantName, passwordHash: await this.hasher.hash(input.password) });
    if (await this.users.existsByEmail(email)) throw new EmailTakenError();
    return this.createTenant({ email, tenantName: input.tenantName, passwordHash: await this.hasher.hash(input.password) });
  }

  /** Finishes a sign-up from the token its mail carried (once, within 24 hours). */
  async confirmSignup(token: string): Promise<SignupResponse> {
    const request = await this.signups.take(signupTokenHash(token), this.clock.now());
    if (!request) throw new InvalidSignupTokenError();
    return this.createTenant(request);
  }

  private async requestSignup(request: SignupRequest): Promise<SignupPendingResponse> {
    const login = `${this.config.publicUrl}/login`;
    if (await this.users.existsByEmail(request.email)) {
      this.mailer.sendLater({
        to: request.email,
        subject: 'Someone tried to sign up to Margin with your address',
        text: `Someone (perhaps you) tried to create a Margin account with this address, which already has one.\n\nSign in at ${login}. If it was not you, you can ignore this mail: nothing was changed.\n`,
      });
    } else {
      const token = randomBytes(32).toString('base64url');
      const now = this.clock.now();
      await this.signups.insert(signupTokenHash(token), request, now, new Date(now.getTime() + SIGNUP_LINK_TTL_MS));
      this.mailer.sendLater({
        to: request.email,
        subject: 'Confirm your Margin sign-up',
        text: `Finish creating your Margin account ("${request.tenantName}") within 24 hours:\n\n${this.config.publicUrl}/signup/confirm?token=${token}\n\nIf you did not sign up, ignore this mail: no account is created.\n`,
      });
    }
    return { status: 'confirmation_sent', message: 'If this address can be used, a link to finish signing up has been mailed to it.' };
  }

  private async createTenant(request: SignupRequest): Promise<SignupResponse> {
    // Two sign-ups racing for one email: the repository throws the same EmailTakenError to the loser (409).
    const created = await this.tenants.createWithOwner({
      tenant: { name: request.tenantName, plan: 'free', isOperator: false },
      owner: { email: request.email, passwordHash: request.passwordHash, role: 'owner' },
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
