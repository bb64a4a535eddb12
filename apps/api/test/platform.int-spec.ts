import { REDIS } from '@margin/core';
import { makeSession, startTestApp, testEnv, type TestApp } from '@margin/testing';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('platform behaviour', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(createApp, { env: { BODY_LIMIT: '2kb' }, migrations: MIGRATIONS });
  });
  afterAll(() => t.close());

  it('GET /health reports Postgres and Redis up in the terminus shape', async () => {
    const res = await t.http.get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' }, redis: { status: 'up' }, workers: { status: 'up' } } });
    expect(typeof res.body.details.workers.count).toBe('number');
  });

  it('GET /health shows no hosts, pids, queues, URLs or errors without the operator’s credentials; the operator’s admins see them', async () => {
    // a live worker's heartbeat, so that there is something to hide
    const redis = t.app.get<import('ioredis').default>(REDIS);
    await redis.set(
      'margin:workers:test-worker',
      JSON.stringify({
        id: 'test-worker',
        host: 'gpu-box-7.internal',
        pid: 4242,
        queues: ['analysis'],
        concurrency: 4,
        startedAt: new Date().toISOString(),
        seenAt: new Date().toISOString(),
      }),
      'EX',
      30,
    );
    const anonymous = await t.http.get('/health').expect(200);
    const text = JSON.stringify(anonymous.body);
    for (const secret of ['gpu-box-7', '4242', 'analysis', 'http://', 'concurrency']) expect(text).not.toContain(secret);
    expect(anonymous.body.details.workers).toMatchObject({ status: 'up', count: 1 });
    const tenantOwner = await makeSession(t.dataSource, t.http, { role: 'owner' });
    expect(JSON.stringify((await t.http.get('/health').set(tenantOwner.auth).expect(200)).body)).not.toContain('gpu-box-7');
    const operator = await makeSession(t.dataSource, t.http, { role: 'admin', isOperator: true, plan: 'unlimited' });
    const full = await t.http.get('/health').set(operator.auth).expect(200);
    expect(full.body.details.workers.workers).toEqual(expect.arrayContaining([expect.objectContaining({ host: 'gpu-box-7.internal', pid: 4242 })]));
    await redis.del('margin:workers:test-worker');
  });

  it('unknown API routes are JSON 404s', async () => {
    const res = await t.http.get('/api/v1/does-not-exist').expect(404);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('echoes a request id, or makes one', async () => {
    const given = await t.http.get('/health').set('X-Request-Id', 'trace-abc-123');
    expect(given.headers['x-request-id']).toBe('trace-abc-123');
    const made = await t.http.get('/health');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets security headers (helmet)', async () => {
    const res = await t.http.get('/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('refuses bodies over the limit with a JSON 413', async () => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .send({ email: 'a@b.co', password: 'x'.repeat(5000) })
      .expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
  });

  it('describes its routes in Swagger at /api/docs-json and serves the UI at /api/docs', async () => {
    const res = await t.http.get('/api/docs-json').expect(200);
    for (const route of [
      '/api/v1/auth/login',
      '/api/v1/auth/signup',
      '/api/v1/auth/me',
      '/api/v1/api-keys',
      '/api/v1/api-keys/{id}',
      '/api/v1/users',
      '/api/v1/tenants',
      '/health',
    ]) {
      expect(Object.keys(res.body.paths)).toContain(route);
    }
    expect(res.body.paths['/api/v1/auth/login'].post.responses['200']).toBeDefined();
    await t.http.get('/api/docs').expect(200).expect('content-type', /html/);
  });
});

describe('rate limiting per client', () => {
  let t: TestApp;
  beforeAll(async () => {
    // behind a proxy that names the client, so that the test can speak from several addresses
    t = await startTestApp(createApp, { env: { RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: 'true' }, migrations: MIGRATIONS });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After past the limit; unverified credentials are charged to the address, so inventing keys buys no fresh bucket', async () => {
    const from = { 'X-Forwarded-For': '203.0.113.5' };
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (
          await t.http
            .get('/api/v1/auth/me')
            .set(from)
            .set('X-API-Key', 'mk_client1a_' + 'a'.repeat(43))
        ).status,
      );
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const limited = await t.http
      .get('/api/v1/auth/me')
      .set(from)
      .set('X-API-Key', 'mk_client1a_' + 'a'.repeat(43));
    expect(limited.headers['retry-after']).toBeDefined();
    // another invented key, junk Authorization on login: the same address, the same (spent) bucket
    await t.http
      .get('/api/v1/auth/me')
      .set(from)
      .set('X-API-Key', 'mk_client2b_' + 'b'.repeat(43))
      .expect(429);
    await t.http.post('/api/v1/auth/login').set(from).set('Authorization', 'Bearer junk.junk.junk').send({ email: 'a@b.co', password: 'x' }).expect(429);
    // another address is not affected
    await t.http
      .get('/api/v1/auth/me')
      .set({ 'X-Forwarded-For': '198.51.100.20' })
      .set('X-API-Key', 'mk_client2b_' + 'b'.repeat(43))
      .expect(401);
  });

  it('one bucket per user whatever the spelling of the credential, and from any address', async () => {
    const a = await makeSession(t.dataSource, t.http);
    const b = await makeSession(t.dataSource, t.http);
    const spellings = [`Bearer ${a.token}`, `bearer ${a.token}`, `BEARER ${a.token}`, `Bearer  ${a.token}`, `Bearer ${a.token}`];
    for (const [i, authorization] of spellings.entries()) {
      await t.http
        .get('/api/v1/auth/me')
        .set({ Authorization: authorization, 'X-Forwarded-For': `192.0.2.${i + 1}` })
        .expect(200);
    }
    await t.http
      .get('/api/v1/auth/me')
      .set({ Authorization: `bearer   ${a.token}`, 'X-Forwarded-For': '192.0.2.99' })
      .expect(429);
    // another user is not affected
    await t.http.get('/api/v1/auth/me').set(b.auth).expect(200);
  });
});

describe('configuration is validated at boot', () => {
  const root = path.resolve(__dirname, '../../..');
  const main = path.join(root, 'dist/apps/api/apps/api/src/main.js');

  beforeAll(() => {
    if (!existsSync(main)) {
      const built = spawnSync('npx', ['-y', 'nx', 'run', 'api:build', '--outputStyle=static'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' } });
      if (built.status !== 0) throw new Error(`api build failed: ${built.stderr}`);
    }
  });

  function boot(overrides: Record<string, string>, drop: string[] = []) {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', PORT: '0', ...testEnv(overrides) };
    for (const key of drop) delete env[key];
    return spawnSync(process.execPath, [main], { cwd: root, env, encoding: 'utf8', timeout: 20_000 });
  }

  it('refuses to start with an ENCRYPTION_KEY that is not 32 bytes of base64, saying which variable and why', () => {
    const r = boot({ ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('ENCRYPTION_KEY must be 32 random bytes encoded as base64');
  });

  it('lists every bad variable at once', () => {
    const r = boot({ PORT: 'eighty', JWT_SECRET: 'short', WORKER_CONCURRENCY: '0' }, ['DATABASE_URL']);
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/JWT_SECRET must be at least 32 characters/);
    expect(r.stderr).toMatch(/DATABASE_URL must be a postgres:\/\/ URL/);
    expect(r.stderr).toMatch(/WORKER_CONCURRENCY must not be less than 1/);
    expect(r.stderr).toMatch(/PORT must be an integer/);
  });
});
