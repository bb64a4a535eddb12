import { makeApiKey, makeSession, makeTenant, makeUser, startTestApp, type TestApp } from '@margin/testing';
import { LoginAttemptLimiter } from '@margin/identity';
import { REDIS } from '@margin/core';
import type Redis from 'ioredis';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('auth (login, signup, me)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // behind a proxy that says who the client is, so that the test can speak from several addresses
    t = await startTestApp(createApp, { env: { LOGIN_MAX_FAILURES: '3', TRUST_PROXY: 'true' }, migrations: MIGRATIONS });
  });
  afterAll(() => t.close());

  it('logs in with the right password and returns a token, its lifetime and the user', async () => {
    const tenant = await makeTenant(t.dataSource);
    const user = await makeUser(t.dataSource, tenant, { role: 'admin', email: 'Ada@Example.com' });
    const res = await t.http.post('/api/v1/auth/login').send({ email: 'ada@example.com', password: user.password }).expect(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      expiresIn: t.config.jwtExpiresInSeconds,
      user: { id: user.id, email: 'ada@example.com', role: 'admin', tenantId: tenant.id },
    });
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const tenant = await makeTenant(t.dataSource);
    const user = await makeUser(t.dataSource, tenant);
    const wrong = await t.http.post('/api/v1/auth/login').send({ email: user.email, password: 'not-the-password' }).expect(401);
    const unknown = await t.http.post('/api/v1/auth/login').send({ email: 'nobody@example.com', password: 'not-the-password' }).expect(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid email or password', code: 'invalid_credentials' });
  });

  it('rejects malformed bodies with 400 naming the field', async () => {
    const res = await t.http.post('/api/v1/auth/login').send({ email: 'not-an-email', password: 12 }).expect(400);
    expect(res.body.message).toEqual(expect.arrayContaining(['email must be an email', 'password must be a string']));
    const extra = await t.http.post('/api/v1/auth/login').send({ email: 'a@b.co', password: 'x', admin: true }).expect(400);
    expect(extra.body.message).toContain('property admin should not exist');
    const broken = await t.http.post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"email":').expect(400);
    expect(broken.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('locks out the guessing client with 429 and Retry-After after repeated failures, never the account for anyone else', async () => {
    const tenant = await makeTenant(t.dataSource);
    const user = await makeUser(t.dataSource, tenant);
    const attacker = { 'X-Forwarded-For': '203.0.113.7' };
    for (let i = 0; i < 3; i++) {
      await t.http.post('/api/v1/auth/login').set(attacker).send({ email: user.email, password: 'wrong-password' }).expect(401);
    }
    const res = await t.http.post('/api/v1/auth/login').set(attacker).send({ email: user.email, password: user.password }).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(30);
    expect(res.body.message).toMatch(/too many failed logins/i);
    // the account's owner, from their own address, is not locked out
    await t.http.post('/api/v1/auth/login').set({ 'X-Forwarded-For': '198.51.100.9' }).send({ email: user.email, password: user.password }).expect(200);
  });

  it('each further lock of the same client lasts twice as long (backoff), and a success clears it', async () => {
    const limiter = t.app.get(LoginAttemptLimiter);
    const redis = t.app.get<Redis>(REDIS);
    const lockTtl = async () => {
      const keys = await redis.keys('margin:login:lock:*');
      const ttls = await Promise.all(keys.map((k) => redis.ttl(k)));
      return Math.max(-1, ...ttls);
    };
    const email = 'backoff@example.com';
    await redis.del(...(await redis.keys('margin:login:*')), 'margin:none');
    for (let i = 0; i < 3; i++) await limiter.recordFailure(email, '192.0.2.1');
    await expect(limiter.assertAllowed(email, '192.0.2.1')).rejects.toMatchObject({ httpStatus: 429 });
    expect(await lockTtl()).toBeGreaterThan(25);
    expect(await lockTtl()).toBeLessThanOrEqual(30);
    // the lock runs out (as if 30 s passed); three more failures lock for 60 s
    await redis.del(...(await redis.keys('margin:login:lock:*')));
    await limiter.assertAllowed(email, '192.0.2.1');
    for (let i = 0; i < 3; i++) await limiter.recordFailure(email, '192.0.2.1');
    expect(await lockTtl()).toBeGreaterThan(55);
    expect(await lockTtl()).toBeLessThanOrEqual(60);
    await limiter.assertAllowed(email, '192.0.2.2');
    await limiter.reset(email, '192.0.2.1');
    await limiter.assertAllowed(email, '192.0.2.1');
  });

  it('GET /auth/me returns the user, tenant, plan and usage period for a JWT', async () => {
    const s = await makeSession(t.dataSource, t.http, { role: 'member', plan: 'free' });
    const res = await t.http.get('/api/v1/auth/me').set(s.auth).expect(200);
    expect(res.body).toMatchObject({
      user: { id: s.user.id, email: s.user.email, role: 'member', tenantId: s.tenant.id },
      tenant: { id: s.tenant.id, plan: 'free', isOperator: false },
      apiKey: null,
      authenticatedVia: 'jwt',
    });
    expect(res.body.user.lastLoginAt).not.toBeNull();
    expect(new Date(res.body.usage.resetsAt).getUTCDate()).toBe(1);
  });

  it('GET /auth/me works with an API key in X-API-Key or as a bearer token', async () => {
    const tenant = await makeTenant(t.dataSource);
    const owner = await makeUser(t.dataSource, tenant, { role: 'owner' });
    const { key, entity } = await makeApiKey(t.dataSource, tenant, { createdBy: owner });
    const viaHeader = await t.http.get('/api/v1/auth/me').set('X-API-Key', key).expect(200);
    expect(viaHeader.body).toMatchObject({ authenticatedVia: 'api-key', apiKey: { id: entity.id, prefix: entity.prefix }, tenant: { id: tenant.id } });
    await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${key}`).expect(200);
  });

  it('refuses missing, forged and expired credentials with 401', async () => {
    await t.http.get('/api/v1/auth/me').expect(401);
    await t.http.get('/api/v1/auth/me').set('Authorization', 'Bearer not.a.jwt').expect(401);
    await t.http
      .get('/api/v1/auth/me')
      .set('X-API-Key', 'mk_AAAAAAAA_' + 'x'.repeat(43))
      .expect(401);
    const { JwtService } = await import('@nestjs/jwt');
    const s = await makeSession(t.dataSource, t.http);
    const expired = new JwtService({ secret: t.config.jwtSecret }).sign({ sub: s.user.id, tid: s.tenant.id }, { expiresIn: -10 });
    await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${expired}`).expect(401);
    const forged = new JwtService({ secret: 'another-secret-another-secret-1234' }).sign({ sub: s.user.id, tid: s.tenant.id });
    await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${forged}`).expect(401);
  });

  it('signs up a new tenant on the free plan with the user as owner', async () => {
    const res = await t.http.post('/api/v1/auth/signup').send({ email: 'founder@acme.test', password: 'long-enough-pw', tenantName: 'Acme Music' }).expect(201);
    expect(res.body).toMatchObject({ user: { email: 'founder@acme.test', role: 'owner' }, tenant: { name: 'Acme Music', plan: 'free', isOperator: false } });
    const me = await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
    expect(me.body.tenant.id).toBe(res.body.tenant.id);
  });

  it('refuses short passwords (400), taken emails (409) and stores nothing half-way', async () => {
    const short = await t.http.post('/api/v1/auth/signup').send({ email: 'x@acme.test', password: 'short', tenantName: 'X' }).expect(400);
    expect(short.body.message).toContain('password must be longer than or equal to 10 characters');
    const before = await t.dataSource.query('SELECT count(*)::int AS n FROM tenants');
    await t.http.post('/api/v1/auth/signup').send({ email: 'founder@acme.test', password: 'long-enough-pw', tenantName: 'Dup' }).expect(409);
    const after = await t.dataSource.query('SELECT count(*)::int AS n FROM tenants');
    expect(after[0].n).toBe(before[0].n);
  });

  it('sign-ups racing for one email: one wins, the others get the same 409 with its code, and no tenant is left without an owner', async () => {
    const before = await t.dataSource.query('SELECT count(*)::int AS n FROM tenants');
    const answers = await Promise.all(
      [1, 2, 3].map((n) => t.http.post('/api/v1/auth/signup').send({ email: 'race@acme.test', password: 'long-enough-pw', tenantName: `Race ${n}` })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    for (const lost of answers.filter((r) => r.status === 409))
      expect(lost.body).toMatchObject({ code: 'email_taken', message: 'A user with this email already exists' });
    const after = await t.dataSource.query('SELECT count(*)::int AS n FROM tenants');
    expect(after[0].n).toBe(before[0].n + 1);
  });
});

describe('auth with sign-up closed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(createApp, { env: { ALLOW_SIGNUP: 'false' }, migrations: MIGRATIONS });
  });
  afterAll(() => t.close());

  it('answers 403 to sign-up', async () => {
    const res = await t.http.post('/api/v1/auth/signup').send({ email: 'late@acme.test', password: 'long-enough-pw', tenantName: 'Late' }).expect(403);
    expect(res.body.message).toMatch(/sign-up is closed/i);
  });
});
