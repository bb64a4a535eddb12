import type { Plan, Role } from '@margin/contracts';
import { generateApiKey, ApiKeyEntity, PasswordHasher, TenantEntity, UserEntity } from '@margin/identity';
import { randomUUID } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent';
import type { DataSource } from 'typeorm';

// Cheap scrypt parameters: the stored hash carries them, so verification works the same way.
const fastHasher = new PasswordHasher({ N: 1024, r: 8, p: 1 });

export const DEFAULT_TEST_PASSWORD = 'correct-horse-battery-staple';

export async function makeTenant(ds: DataSource, overrides: Partial<Pick<TenantEntity, 'name' | 'plan' | 'isOperator'>> = {}): Promise<TenantEntity> {
  const repo = ds.getRepository(TenantEntity);
  return repo.save(repo.create({ name: `Tenant ${randomUUID().slice(0, 8)}`, plan: 'pro' as Plan, isOperator: false, ...overrides }));
}

export async function makeUser(
  ds: DataSource,
  tenant: TenantEntity,
  overrides: { email?: string; role?: Role; password?: string } = {},
): Promise<UserEntity & { password: string }> {
  const password = overrides.password ?? DEFAULT_TEST_PASSWORD;
  const repo = ds.getRepository(UserEntity);
  const user = await repo.save(
    repo.create({
      tenantId: tenant.id,
      email: (overrides.email ?? `user-${randomUUID().slice(0, 8)}@example.com`).toLowerCase(),
      passwordHash: await fastHasher.hash(password),
      role: overrides.role ?? 'member',
      lastLoginAt: null,
    }),
  );
  return Object.assign(user, { password });
}

export async function makeApiKey(
  ds: DataSource,
  tenant: TenantEntity,
  overrides: { role?: Role; name?: string; createdBy?: UserEntity } = {},
): Promise<{ entity: ApiKeyEntity; key: string }> {
  const { key, prefix, hash } = generateApiKey();
  const repo = ds.getRepository(ApiKeyEntity);
  const entity = await repo.save(
    repo.create({
      tenantId: tenant.id,
      name: overrides.name ?? 'test key',
      prefix,
      keyHash: hash,
      role: overrides.role ?? 'member',
      createdByUserId: overrides.createdBy?.id ?? null,
      lastUsedAt: null,
      revokedAt: null,
    }),
  );
  return { entity, key };
}

/** A tenant with a user of the given role, logged in. */
export async function makeSession(
  ds: DataSource,
  http: TestAgent,
  options: { role?: Role; plan?: Plan; tenant?: TenantEntity; isOperator?: boolean } = {},
): Promise<{ tenant: TenantEntity; user: UserEntity & { password: string }; token: string; auth: { Authorization: string } }> {
  const tenant = options.tenant ?? (await makeTenant(ds, { plan: options.plan ?? 'pro', isOperator: options.isOperator ?? false }));
  const user = await makeUser(ds, tenant, { role: options.role ?? 'owner' });
  const token = await login(http, user.email, user.password);
  return { tenant, user, token, auth: { Authorization: `Bearer ${token}` } };
}

export async function login(http: TestAgent, email: string, password: string): Promise<string> {
  const res = await http.post('/api/v1/auth/login').send({ email, password });
  if (res.status !== 200) throw new Error(`login failed for ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { accessToken: string }).accessToken;
}
