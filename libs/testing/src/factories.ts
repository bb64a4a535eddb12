// Test data through the database itself (plain SQL on the migrated schema), so that the testing kit does
// not depend on the domain libraries whose tests use it.
import type { Plan, Role } from '@margin/contracts';
import { generateApiKey, PasswordHasher } from '@margin/core';
import { randomUUID } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent';
import type { DataSource } from 'typeorm';

// Cheap scrypt parameters: the stored hash carries them, so verification works the same way.
const fastHasher = new PasswordHasher({ N: 1024, r: 8, p: 1 });

export const DEFAULT_TEST_PASSWORD = 'correct-horse-battery-staple';

export interface TestTenant {
  id: string;
  name: string;
  plan: Plan;
  isOperator: boolean;
}

export interface TestUser {
  id: string;
  tenantId: string;
  email: string;
  role: Role;
  password: string;
}

export interface TestApiKey {
  id: string;
  tenantId: string;
  prefix: string;
  role: Role;
}

export async function makeTenant(ds: DataSource, overrides: Partial<Omit<TestTenant, 'id'>> = {}): Promise<TestTenant> {
  const t = { name: `Tenant ${randomUUID().slice(0, 8)}`, plan: 'pro' as Plan, isOperator: false, ...overrides };
  const [row] = await ds.query(`INSERT INTO tenants (name, plan, is_operator) VALUES ($1, $2, $3) RETURNING id`, [t.name, t.plan, t.isOperator]);
  return { id: row.id, ...t };
}

export async function makeUser(ds: DataSource, tenant: TestTenant, overrides: { email?: string; role?: Role; password?: string } = {}): Promise<TestUser> {
  const password = overrides.password ?? DEFAULT_TEST_PASSWORD;
  const email = (overrides.email ?? `user-${randomUUID().slice(0, 8)}@example.com`).toLowerCase();
  const role = overrides.role ?? 'member';
  const [row] = await ds.query(`INSERT INTO users (tenant_id, email, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING id`, [
    tenant.id,
    email,
    await fastHasher.hash(password),
    role,
  ]);
  return { id: row.id, tenantId: tenant.id, email, role, password };
}

export async function makeApiKey(
  ds: DataSource,
  tenant: TestTenant,
  overrides: { role?: Role; name?: string; createdBy?: TestUser } = {},
): Promise<{ entity: TestApiKey; key: string }> {
  const { key, prefix, hash } = generateApiKey();
  const role = overrides.role ?? 'member';
  const [row] = await ds.query(
    `INSERT INTO api_keys (tenant_id, created_by_user_id, name, prefix, key_hash, role) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [tenant.id, overrides.createdBy?.id ?? null, overrides.name ?? 'test key', prefix, hash, role],
  );
  return { entity: { id: row.id, tenantId: tenant.id, prefix, role }, key };
}

/** A tenant with a user of the given role, logged in. */
export async function makeSession(
  ds: DataSource,
  http: TestAgent,
  options: { role?: Role; plan?: Plan; tenant?: TestTenant; isOperator?: boolean } = {},
): Promise<{ tenant: TestTenant; user: TestUser; token: string; auth: { Authorization: string } }> {
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
