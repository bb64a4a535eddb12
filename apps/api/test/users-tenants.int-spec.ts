import { makeSession, makeUser, startTestApp, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('users and roles', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(createApp, { migrations: MIGRATIONS });
  });
  afterAll(() => t.close());

  it('an admin adds a member who can then log in; the list shows both', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const created = await t.http
      .post('/api/v1/users')
      .set(admin.auth)
      .send({ email: 'New.Member@Example.com', password: 'a-long-password', role: 'member' })
      .expect(201);
    expect(created.body).toMatchObject({ email: 'new.member@example.com', role: 'member', tenantId: admin.tenant.id });
    expect(created.body.passwordHash).toBeUndefined();
    await t.http.post('/api/v1/auth/login').send({ email: 'new.member@example.com', password: 'a-long-password' }).expect(200);
    const list = await t.http.get('/api/v1/users').set(admin.auth).expect(200);
    expect(list.body.map((u: { email: string }) => u.email).sort()).toEqual([admin.user.email, 'new.member@example.com'].sort());
  });

  it('members and viewers cannot manage users (403)', async () => {
    const owner = await makeSession(t.dataSource, t.http, { role: 'owner' });
    for (const role of ['member', 'viewer'] as const) {
      const s = await makeSession(t.dataSource, t.http, { role, tenant: owner.tenant });
      const res = await t.http.get('/api/v1/users').set(s.auth).expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      await t.http
        .post('/api/v1/users')
        .set(s.auth)
        .send({ email: `${role}-made@example.com`, password: 'a-long-password', role: 'viewer' })
        .expect(403);
    }
  });

  it('an admin can neither create an owner nor change one', async () => {
    const owner = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin', tenant: owner.tenant });
    await t.http.post('/api/v1/users').set(admin.auth).send({ email: 'o2@example.com', password: 'a-long-password', role: 'owner' }).expect(403);
    await t.http.patch(`/api/v1/users/${owner.user.id}`).set(admin.auth).send({ role: 'viewer' }).expect(403);
    await t.http.delete(`/api/v1/users/${owner.user.id}`).set(admin.auth).expect(403);
  });

  it('a tenant keeps at least one owner (409)', async () => {
    const owner = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const res = await t.http.patch(`/api/v1/users/${owner.user.id}`).set(owner.auth).send({ role: 'admin' }).expect(409);
    expect(res.body.message).toMatch(/at least one owner/);
    await t.http.delete(`/api/v1/users/${owner.user.id}`).set(owner.auth).expect(409);
  });

  it('role changes take effect on the next request', async () => {
    const owner = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin', tenant: owner.tenant });
    await t.http.get('/api/v1/users').set(admin.auth).expect(200);
    await t.http.patch(`/api/v1/users/${admin.user.id}`).set(owner.auth).send({ role: 'viewer' }).expect(200);
    await t.http.get('/api/v1/users').set(admin.auth).expect(403);
    await t.http.delete(`/api/v1/users/${admin.user.id}`).set(owner.auth).expect(204);
    await t.http.get('/api/v1/auth/me').set(admin.auth).expect(401);
  });

  it("an admin's API key never exceeds the admin's current role, and dies with the admin", async () => {
    const owner = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin', tenant: owner.tenant });
    const minted = await t.http.post('/api/v1/api-keys').set(admin.auth).send({ name: 'admin key', role: 'admin' }).expect(201);
    const key = { 'X-API-Key': minted.body.key as string };
    await t.http.get('/api/v1/users').set(key).expect(200);
    // demoted: the key acts as a member now (the cached verification is dropped at once)
    await t.http.patch(`/api/v1/users/${admin.user.id}`).set(owner.auth).send({ role: 'member' }).expect(200);
    await t.http.get('/api/v1/users').set(key).expect(403);
    await t.http.post('/api/v1/api-keys').set(key).send({ name: 'escalate', role: 'admin' }).expect(403);
    await t.http.get('/api/v1/jobs').set(key).expect(200);
    // deleted: every key the admin made is revoked
    await t.http
      .delete(`/api/v1/users/${admin.user.id}`)
      .set(owner.auth)
      .expect((r) => expect([200, 204]).toContain(r.status));
    await t.http.get('/api/v1/jobs').set(key).expect(401);
    const [row] = (await t.dataSource.query(`SELECT revoked_at FROM api_keys WHERE id = $1`, [minted.body.id])) as Array<{ revoked_at: Date | null }>;
    expect(row?.revoked_at).toBeInstanceOf(Date);
  });

  it('a password change ends the sessions issued before it; a new login works', async () => {
    const owner = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: owner.tenant });
    await t.http.get('/api/v1/auth/me').set(member.auth).expect(200);
    // the token's iat has whole seconds: the change must fall in a later second than the old session's issue
    await new Promise((r) => setTimeout(r, 1100));
    await t.http.patch(`/api/v1/users/${member.user.id}`).set(owner.auth).send({ password: 'a-brand-new-password' }).expect(200);
    await t.http.get('/api/v1/auth/me').set(member.auth).expect(401);
    const login = await t.http.post('/api/v1/auth/login').send({ email: member.user.email, password: 'a-brand-new-password' }).expect(200);
    await t.http
      .get('/api/v1/auth/me')
      .set({ Authorization: `Bearer ${login.body.accessToken as string}` })
      .expect(200);
    // the owner's own session is untouched
    await t.http.get('/api/v1/auth/me').set(owner.auth).expect(200);
  });

  it("another tenant's users are not found (404) and untouched", async () => {
    const a = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const b = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const bMember = await makeUser(t.dataSource, b.tenant, { role: 'member' });
    await t.http.patch(`/api/v1/users/${bMember.id}`).set(a.auth).send({ role: 'admin' }).expect(404);
    await t.http.delete(`/api/v1/users/${bMember.id}`).set(a.auth).expect(404);
    const list = await t.http.get('/api/v1/users').set(b.auth).expect(200);
    expect(list.body.find((u: { id: string }) => u.id === bMember.id).role).toBe('member');
  });

  it('a duplicate email is a 409', async () => {
    const owner = await makeSession(t.dataSource, t.http, { role: 'owner' });
    await t.http.post('/api/v1/users').set(owner.auth).send({ email: owner.user.email, password: 'a-long-password', role: 'member' }).expect(409);
  });
});

describe('tenants (operator only)', () => {
  let t: TestApp;
  let operator: Awaited<ReturnType<typeof makeSession>>;

  beforeAll(async () => {
    t = await startTestApp(createApp, { migrations: MIGRATIONS });
    // One operator tenant per installation (a unique index holds it).
    operator = await makeSession(t.dataSource, t.http, { role: 'owner', isOperator: true, plan: 'unlimited' });
  });
  afterAll(() => t.close());

  it("the operator tenant's owner lists tenants and changes a plan", async () => {
    const customer = await makeSession(t.dataSource, t.http, { role: 'owner', plan: 'free' });
    const list = await t.http.get('/api/v1/tenants').set(operator.auth).expect(200);
    expect(list.body.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([operator.tenant.id, customer.tenant.id]));
    const res = await t.http.patch(`/api/v1/tenants/${customer.tenant.id}`).set(operator.auth).send({ plan: 'pro' }).expect(200);
    expect(res.body).toMatchObject({ id: customer.tenant.id, plan: 'pro' });
    const me = await t.http.get('/api/v1/auth/me').set(customer.auth).expect(200);
    expect(me.body.tenant.plan).toBe('pro');
    await t.http.patch(`/api/v1/tenants/${customer.tenant.id}`).set(operator.auth).send({ plan: 'gold' }).expect(400);
  });

  it("other tenants' owners and the operator's admins get 403", async () => {
    const opAdmin = await makeSession(t.dataSource, t.http, { role: 'admin', tenant: operator.tenant });
    const customer = await makeSession(t.dataSource, t.http, { role: 'owner' });
    await t.http.get('/api/v1/tenants').set(customer.auth).expect(403);
    await t.http.patch(`/api/v1/tenants/${customer.tenant.id}`).set(customer.auth).send({ plan: 'unlimited' }).expect(403);
    await t.http.get('/api/v1/tenants').set(opAdmin.auth).expect(403);
  });
});
