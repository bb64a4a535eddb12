import { makeApiKey, makeSession, startTestApp, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('API keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(createApp, { migrations: MIGRATIONS });
  });
  afterAll(() => t.close());

  it('creates a key shown once, lists it by prefix only, and the key authenticates', async () => {
    const s = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const created = await t.http.post('/api/v1/api-keys').set(s.auth).send({ name: 'playlist app' }).expect(201);
    expect(created.body).toMatchObject({ name: 'playlist app', role: 'member', revokedAt: null, lastUsedAt: null });
    expect(created.body.key).toMatch(/^mk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(created.body.key.startsWith(created.body.prefix + '_')).toBe(true);

    const list = await t.http.get('/api/v1/api-keys').set(s.auth).expect(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ id: created.body.id, prefix: created.body.prefix });
    expect(list.body[0].key).toBeUndefined();
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);

    const row = await t.dataSource.query('SELECT key_hash FROM api_keys WHERE id = $1', [created.body.id]);
    expect(row[0].key_hash).not.toContain(created.body.key);

    const me = await t.http.get('/api/v1/auth/me').set('X-API-Key', created.body.key).expect(200);
    expect(me.body.apiKey.id).toBe(created.body.id);
  });

  it('a revoked key fails with 401 on the very next request', async () => {
    const s = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const created = await t.http.post('/api/v1/api-keys').set(s.auth).send({ name: 'to revoke' }).expect(201);
    await t.http.get('/api/v1/auth/me').set('X-API-Key', created.body.key).expect(200);
    await t.http.delete(`/api/v1/api-keys/${created.body.id}`).set(s.auth).expect(204);
    await t.http.get('/api/v1/auth/me').set('X-API-Key', created.body.key).expect(401);
    const list = await t.http.get('/api/v1/api-keys').set(s.auth).expect(200);
    expect(list.body.find((k: { id: string }) => k.id === created.body.id).revokedAt).not.toBeNull();
  });

  it("answers 404 for another tenant's key, to read or to revoke, and leaves it working", async () => {
    const a = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const b = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const bKey = await makeApiKey(t.dataSource, b.tenant);
    const read = await t.http.get(`/api/v1/api-keys/${bKey.entity.id}`).set(a.auth).expect(404);
    expect(read.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'API key not found', code: 'not_found' });
    await t.http.delete(`/api/v1/api-keys/${bKey.entity.id}`).set(a.auth).expect(404);
    await t.http.get('/api/v1/auth/me').set('X-API-Key', bKey.key).expect(200);
    const aList = await t.http.get('/api/v1/api-keys').set(a.auth).expect(200);
    expect(aList.body.map((k: { id: string }) => k.id)).not.toContain(bKey.entity.id);
  });

  it('lets members list but not create or revoke keys; nobody creates a key above their role', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: admin.tenant });
    await t.http.get('/api/v1/api-keys').set(member.auth).expect(200);
    const denied = await t.http.post('/api/v1/api-keys').set(member.auth).send({ name: 'nope' }).expect(403);
    expect(denied.body.message).toMatch(/admin role or higher/);
    const tooHigh = await t.http.post('/api/v1/api-keys').set(admin.auth).send({ name: 'owner key', role: 'owner' }).expect(403);
    expect(tooHigh.body.message).toMatch(/above your own/);
    const key = await makeApiKey(t.dataSource, admin.tenant);
    await t.http.delete(`/api/v1/api-keys/${key.entity.id}`).set(member.auth).expect(403);
  });

  it('an API key acts with its own role', async () => {
    const s = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const viewerKey = await makeApiKey(t.dataSource, s.tenant, { role: 'viewer' });
    await t.http.post('/api/v1/api-keys').set('X-API-Key', viewerKey.key).send({ name: 'x' }).expect(403);
    const adminKey = await makeApiKey(t.dataSource, s.tenant, { role: 'admin' });
    await t.http.post('/api/v1/api-keys').set('X-API-Key', adminKey.key).send({ name: 'made by key' }).expect(201);
  });

  it('validates input: name required, role from the list, ids are UUIDs', async () => {
    const s = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const res = await t.http.post('/api/v1/api-keys').set(s.auth).send({ role: 'superuser' }).expect(400);
    expect(res.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^name /), expect.stringMatching(/^role must be one of/)]));
    await t.http.delete('/api/v1/api-keys/not-a-uuid').set(s.auth).expect(400);
  });
});
