import type { ModuleRef } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { PasswordHasher, generateApiKey } from '@margin/core';
import type { AppConfig, Clock, Mailer, MailMessage } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { ApiKeyRepository } from '../api-keys/api-key.repository';
import { EmailTakenError, InvalidCredentialsError, InvalidSignupTokenError, SignupClosedError } from '../identity.errors';
import type { TenantRepository } from '../tenants/tenant.repository';
import type { UserRepository, UserWithPassword } from '../users/user.repository';
import { AuthService } from './auth.service';
import type { VerifiedKeyCache } from '../api-keys/verified-key-cache';
import type { LoginAttemptLimiter } from './login-attempts';
import type { SignupRequest, SignupRequestRepository } from './signup-requests.repository';
import type { Principal } from './principal';

const hasher = new PasswordHasher({ N: 1024, r: 8, p: 1 });
const NOW = new Date('2026-12-31T23:59:00Z');
const clock: Clock = { now: () => NOW };
const config = { jwtSecret: 'unit-test-secret-unit-test-secret!!', jwtExpiresInSeconds: 3600, allowSignup: true } as AppConfig;

function setup(
  overrides: {
    users?: Partial<UserRepository>;
    tenants?: Partial<TenantRepository>;
    apiKeys?: Partial<ApiKeyRepository>;
    config?: Partial<AppConfig>;
    signups?: Partial<SignupRequestRepository>;
  } = {},
) {
  const users = strictMock<UserRepository>(overrides.users, 'UserRepository');
  const tenants = strictMock<TenantRepository>(overrides.tenants, 'TenantRepository');
  const apiKeys = strictMock<ApiKeyRepository>(overrides.apiKeys, 'ApiKeyRepository');
  const attempts = strictMock<LoginAttemptLimiter>(
    { assertAllowed: async () => undefined, recordFailure: async () => undefined, reset: async () => undefined },
    'LoginAttemptLimiter',
  );
  const jwt = new JwtService({ secret: config.jwtSecret });
  const cache = new Map<string, Principal>();
  const verifiedKeys = strictMock<VerifiedKeyCache>({ get: (h) => cache.get(h), set: (h, p) => void cache.set(h, p) }, 'VerifiedKeyCache');
  const moduleRef = strictMock<ModuleRef>(
    {
      get: () => {
        throw new Error('no usage source');
      },
    },
    'ModuleRef',
  );
  const signups = strictMock<SignupRequestRepository>(overrides.signups, 'SignupRequestRepository');
  const mails: MailMessage[] = [];
  const mailer = strictMock<Mailer>({ sendLater: (m) => void mails.push(m) }, 'Mailer');
  const service = new AuthService(
    users,
    tenants,
    apiKeys,
    hasher,
    jwt,
    attempts,
    { ...config, ...overrides.config } as AppConfig,
    clock,
    verifiedKeys,
    moduleRef,
    signups,
    mailer,
  );
  return { service, users, tenants, apiKeys, attempts, jwt, signups, mails };
}

async function storedUser(password: string): Promise<UserWithPassword> {
  return {
    id: 'u1',
    tenantId: 't1',
    email: 'ada@example.com',
    role: 'admin',
    passwordHash: await hasher.hash(password),
    createdAt: NOW,
    updatedAt: NOW,
    lastLoginAt: null,
  };
}

describe('AuthService.login', () => {
  it('issues a token for the right password, records the login and clears failures', async () => {
    const user = await storedUser('right-password');
    const { service, users, attempts, jwt } = setup({
      users: { findByEmailWithPassword: async () => user, update: async () => undefined },
    });
    const res = await service.login('ada@example.com', 'right-password', '10.0.0.1');
    expect(res.user).toEqual({ id: 'u1', email: 'ada@example.com', role: 'admin', tenantId: 't1' });
    expect(res.expiresIn).toBe(3600);
    expect(jwt.verify(res.accessToken)).toMatchObject({ sub: 'u1', tid: 't1' });
    expect(users.update).toHaveBeenCalledWith('t1', 'u1', { lastLoginAt: NOW });
    expect(attempts.reset).toHaveBeenCalledWith('ada@example.com', '10.0.0.1');
  });

  it('gives the same error for an unknown email and a wrong password, and counts both failures', async () => {
    const user = await storedUser('right-password');
    const known = setup({ users: { findByEmailWithPassword: async () => user } });
    const unknown = setup({ users: { findByEmailWithPassword: async () => null } });
    const a = await known.service.login('ada@example.com', 'wrong', '10.0.0.1').catch((e: unknown) => e);
    const b = await unknown.service.login('nobody@example.com', 'wrong', '10.0.0.2').catch((e: unknown) => e);
    expect(a).toBeInstanceOf(InvalidCredentialsError);
    expect(b).toBeInstanceOf(InvalidCredentialsError);
    expect((a as Error).message).toBe((b as Error).message);
    expect(known.attempts.recordFailure).toHaveBeenCalledWith('ada@example.com', '10.0.0.1');
    expect(unknown.attempts.recordFailure).toHaveBeenCalledWith('nobody@example.com', '10.0.0.2');
  });

  it('does not look the user up when the account is locked out', async () => {
    const { service, attempts } = setup();
    attempts.assertAllowed.mockRejectedValueOnce(new Error('locked'));
    await expect(service.login('ada@example.com', 'x', '10.0.0.1')).rejects.toThrow('locked');
  });
});

describe('AuthService.signup', () => {
  it('is refused when sign-up is closed, before touching the database', async () => {
    const { service } = setup({ config: { allowSignup: false } });
    await expect(service.signup({ email: 'a@b.co', password: 'long-enough', tenantName: 'A' })).rejects.toBeInstanceOf(SignupClosedError);
  });

  it('refuses a taken email', async () => {
    const { service } = setup({ users: { existsByEmail: async () => true } });
    await expect(service.signup({ email: 'a@b.co', password: 'long-enough', tenantName: 'A' })).rejects.toBeInstanceOf(EmailTakenError);
  });

  it('passes a lost race on the unique email (the repository’s EmailTakenError) on as the same 409', async () => {
    const lost = new EmailTakenError();
    const { service } = setup({
      users: { existsByEmail: async () => false },
      tenants: { createWithOwner: async () => Promise.reject(lost) },
    });
    await expect(service.signup({ email: 'a@b.co', password: 'long-enough', tenantName: 'A' })).rejects.toBe(lost);
  });

  it('creates a free tenant with the user as owner, storing only a hash of the password', async () => {
    const { service, tenants } = setup({
      users: { existsByEmail: async () => false },
      tenants: {
        createWithOwner: async (input) => ({
          tenant: { id: 't9', name: input.tenant.name, plan: input.tenant.plan, isOperator: false, createdAt: NOW, updatedAt: NOW },
          owner: {
            id: 'u9',
            tenantId: 't9',
            email: input.owner.email,
            role: input.owner.role,
            passwordHash: input.owner.passwordHash,
            createdAt: NOW,
            updatedAt: NOW,
            lastLoginAt: null,
          },
        }),
      },
    });
    const res = await service.signup({ email: 'Founder@Acme.test', password: 'long-enough', tenantName: 'Acme' });
    const input = tenants.createWithOwner.mock.calls[0][0];
    expect(input.tenant).toEqual({ name: 'Acme', plan: 'free', isOperator: false });
    expect(input.owner.email).toBe('founder@acme.test');
    expect(input.owner.passwordHash).not.toContain('long-enough');
    expect(await hasher.verify('long-enough', input.owner.passwordHash)).toBe(true);
    if ('status' in res) throw new Error('expected a created tenant');
    expect(res.tenant.plan).toBe('free');
    expect(res.user.role).toBe('owner');
  });
});

describe('AuthService sign-up with a confirmation mail (SIGNUP_CONFIRM_EMAIL)', () => {
  const confirmConfig = { signupConfirmEmail: true, publicUrl: 'https://margin.example' };
  const createdFrom = async (input: Parameters<TenantRepository['createWithOwner']>[0]) => ({
    tenant: { id: 't9', name: input.tenant.name, plan: input.tenant.plan, isOperator: false, createdAt: NOW, updatedAt: NOW },
    owner: {
      id: 'u9',
      tenantId: 't9',
      email: input.owner.email,
      role: input.owner.role,
      passwordHash: input.owner.passwordHash,
      createdAt: NOW,
      updatedAt: NOW,
      lastLoginAt: null,
    },
  });

  it('answers a new and a taken address alike; only the new one gets a link, the taken one a notice', async () => {
    const stored: Array<{ tokenHash: string; request: SignupRequest; expiresAt: Date }> = [];
    // (the strict mocks fail on any other call: no tenant is created)
    const { service, mails } = setup({
      config: confirmConfig,
      users: { existsByEmail: async (email) => email === 'taken@acme.test' },
      signups: { insert: async (tokenHash, request, _at, expiresAt) => void stored.push({ tokenHash, request, expiresAt }) },
    });
    const fresh = await service.signup({ email: 'New@Acme.test', password: 'long-enough', tenantName: 'Acme' });
    const taken = await service.signup({ email: 'taken@acme.test', password: 'long-enough', tenantName: 'Acme' });
    expect(taken).toEqual(fresh);
    expect(fresh).toEqual({ status: 'confirmation_sent', message: expect.any(String) });
    expect(stored).toHaveLength(1);
    expect(stored[0]?.request.email).toBe('new@acme.test');
    expect(await hasher.verify('long-enough', stored[0]?.request.passwordHash ?? '')).toBe(true);
    expect(stored[0]?.expiresAt.getTime()).toBe(NOW.getTime() + 24 * 3600_000);
    expect(mails.map((m) => m.to)).toEqual(['new@acme.test', 'taken@acme.test']);
    const token = /signup\/confirm\?token=([A-Za-z0-9_-]+)/.exec(mails[0]?.text ?? '')?.[1];
    expect(token).toBeDefined();
    expect(stored[0]?.tokenHash).not.toContain(token); // only a hash is kept
    expect(mails[1]?.text).not.toMatch(/token=/);
    expect(mails[1]?.text).toContain('https://margin.example/login');
  });

  it('the mailed token creates the tenant once; an unknown or used token is a 400', async () => {
    const requests = new Map<string, SignupRequest>();
    const { service, mails } = setup({
      config: confirmConfig,
      users: { existsByEmail: async () => false },
      tenants: { createWithOwner: createdFrom },
      signups: {
        insert: async (tokenHash, request) => void requests.set(tokenHash, request),
        take: async (tokenHash) => {
          const r = requests.get(tokenHash) ?? null;
          requests.delete(tokenHash);
          return r;
        },
      },
    });
    await service.signup({ email: 'founder@acme.test', password: 'long-enough', tenantName: 'Acme' });
    const token = /token=([A-Za-z0-9_-]+)/.exec(mails[0]?.text ?? '')?.[1] as string;
    const done = await service.confirmSignup(token);
    expect(done).toMatchObject({ user: { email: 'founder@acme.test', role: 'owner' }, tenant: { plan: 'free', name: 'Acme' } });
    await expect(service.confirmSignup(token)).rejects.toBeInstanceOf(InvalidSignupTokenError);
    await expect(service.confirmSignup('x'.repeat(43))).rejects.toBeInstanceOf(InvalidSignupTokenError);
  });
});

describe('AuthService API keys and JWTs', () => {
  it('rejects malformed keys without a database lookup', async () => {
    const { service } = setup();
    expect(await service.principalFromApiKey('mk_short')).toBeNull();
    expect(await service.principalFromApiKey('sk-live-something')).toBeNull();
  });

  it('rejects a key whose prefix exists but whose secret differs', async () => {
    const real = generateApiKey();
    const { service } = setup({
      apiKeys: {
        findActiveByPrefixWithHash: async () => ({
          id: 'k1',
          tenantId: 't1',
          prefix: real.prefix,
          keyHash: real.hash,
          role: 'member',
          createdByUserId: null,
          name: 'k',
          createdAt: NOW,
          lastUsedAt: null,
          revokedAt: null,
          tenantIsOperator: false,
          creatorRole: null,
        }),
      },
    });
    const forged = `${real.prefix}_${'A'.repeat(43)}`;
    expect(await service.principalFromApiKey(forged)).toBeNull();
    expect(await service.principalFromApiKey(real.key)).toEqual({
      tenantId: 't1',
      role: 'member',
      userId: null,
      apiKeyId: 'k1',
      via: 'api-key',
      operator: false,
    });
  });

  it('verifies a key against the database once, then from memory', async () => {
    const real = generateApiKey();
    const { service, apiKeys } = setup({
      apiKeys: {
        findActiveByPrefixWithHash: async () => ({
          id: 'k1',
          tenantId: 't1',
          prefix: real.prefix,
          keyHash: real.hash,
          role: 'member',
          createdByUserId: null,
          name: 'k',
          createdAt: NOW,
          lastUsedAt: null,
          revokedAt: null,
          tenantIsOperator: false,
          creatorRole: null,
        }),
      },
    });
    await service.principalFromApiKey(real.key);
    await service.principalFromApiKey(real.key);
    expect(apiKeys.findActiveByPrefixWithHash).toHaveBeenCalledTimes(1);
  });

  it('reads the role fresh for a JWT and refuses a deleted user', async () => {
    const { service, users } = setup({ users: { findForPrincipal: async () => null } });
    expect(await service.principalFromJwt({ sub: 'u1', tid: 't1' })).toBeNull();
    expect(users.findForPrincipal).toHaveBeenCalledWith('t1', 'u1');
  });

  it("me() reports the current calendar month in UTC (rolling over at the year's end)", async () => {
    const { service } = setup({
      tenants: { findById: async () => ({ id: 't1', name: 'T', plan: 'pro', isOperator: false, createdAt: NOW, updatedAt: NOW }) },
      users: {
        findById: async () => ({
          id: 'u1',
          tenantId: 't1',
          email: 'a@b.co',
          role: 'member',
          passwordHash: 'x',
          createdAt: NOW,
          updatedAt: NOW,
          lastLoginAt: null,
        }),
      },
    });
    const me = await service.me({ tenantId: 't1', role: 'member', userId: 'u1', apiKeyId: null, via: 'jwt', operator: false });
    expect(me.usage).toEqual({ periodStart: '2026-12-01T00:00:00.000Z', resetsAt: '2027-01-01T00:00:00.000Z' });
  });
});
