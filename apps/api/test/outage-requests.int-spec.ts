// Requests during a provider outage: /v1 falls back first, then answers 503 with Retry-After in OpenAI's
// error shape; POST /analyze waits within its own deadline for a provider expected back, else 503 too.
import { CatalogService, CircuitBreakerService, hashTag } from '@margin/model-router';
import { REDIS } from '@margin/core';
import { makeApiKey, makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import type Redis from 'ioredis';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('requests while every provider is away', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let key: string;
  let redis: Redis;

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp(createApp, { env: emu.env, migrations: MIGRATIONS });
    const s = await makeSession(t.dataSource, t.http, { role: 'owner' });
    await t.dataSource.query(`UPDATE tenants SET plan = 'unlimited' WHERE id = $1`, [s.tenant.id]);
    key = (await makeApiKey(t.dataSource, s.tenant, { createdBy: s.user })).key;
    redis = t.app.get<Redis>(REDIS);
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });
  beforeEach(async () => {
    const keys = await redis.keys('margin:cb:*');
    if (keys.length) await redis.del(...keys);
  });

  /** Opens the circuit of these models (every catalog model when none given), `agoMs` ago. */
  const openCircuits = async (
    agoMs = 0,
    models = t.app
      .get(CatalogService)
      .allModels()
      .map((m) => m.id),
  ) => {
    const breaker = t.app.get(CircuitBreakerService);
    for (const id of models) {
      for (let n = 0; n < breaker.failureThreshold; n++) await breaker.recordFailure(id);
      if (agoMs) await redis.hset(`margin:cb:${hashTag(id)}:state`, 'openedAt', String(Date.now() - agoMs));
    }
  };

  it('/v1 falls back past a model whose circuit is open', async () => {
    await openCircuits(0, ['ollama/qwen3:8b']);
    const res = await t.http
      .post('/v1/chat/completions')
      .set('authorization', `Bearer ${key}`)
      .send({ model: 'margin/auto', max_tokens: 20, messages: [{ role: 'user', content: 'Name a hymn.' }] });
    expect(res.status).toBe(200);
    expect(res.headers['x-margin-model']).not.toBe('ollama/qwen3:8b');
  });

  it('/v1 with nothing left to fall back to: 503, Retry-After, OpenAI’s error shape', async () => {
    await openCircuits();
    const res = await t.http
      .post('/v1/chat/completions')
      .set('authorization', `Bearer ${key}`)
      .send({ model: 'margin/auto', max_tokens: 20, messages: [{ role: 'user', content: 'Name a hymn.' }] });
    expect(res.status).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(25);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(30);
    expect(res.body).toEqual({
      error: { message: expect.stringMatching(/right now .*circuit open/), type: 'api_error', param: null, code: 'providers_unavailable' },
    });
  });

  const song = { title: 'Be Thou My Vision', artist: 'Traditional', lyrics: 'Be thou my vision, O Lord of my heart' };

  it('/analyze answers 503 with Retry-After at once when no provider is back within its deadline', async () => {
    await openCircuits();
    const started = Date.now();
    const res = await t.http.post('/api/v1/analyze').set('x-api-key', key).send({ profile: 'song-analysis', input: song });
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(25);
    expect(res.body).toMatchObject({ statusCode: 503, message: expect.stringMatching(/No model can take this analyze call right now/) });
  });

  it('/analyze waits for a provider expected back within its deadline, then answers', async () => {
    // Opened 27 s ago: every circuit half-opens in about 3 s.
    await openCircuits(27_000);
    const started = Date.now();
    const res = await t.http
      .post('/api/v1/analyze')
      .set('x-api-key', key)
      .send({ profile: 'song-analysis', input: { ...song, title: 'Abide With Me' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cached: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  });

  it("a job's patience: per job in POST /jobs (validated, stored, shown) and the tenant's default in /job-settings", async () => {
    const owner = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: owner.tenant });
    expect((await t.http.get('/api/v1/job-settings').set(owner.auth).expect(200)).body).toEqual({ maxWaitSeconds: 86400, deferrable: false });
    // null is no value to store: a 400 naming the field, never a 500
    for (const field of ['maxWaitSeconds', 'deferrable']) {
      const refused = await t.http
        .put('/api/v1/job-settings')
        .set(owner.auth)
        .send({ [field]: null })
        .expect(400);
      expect(JSON.stringify(refused.body.message)).toContain(field);
    }
    const bad = await t.http.put('/api/v1/job-settings').set(owner.auth).send({ maxWaitSeconds: 0 }).expect(400);
    expect(JSON.stringify(bad.body.message)).toMatch(/maxWaitSeconds/);
    await t.http.put('/api/v1/job-settings').set(member.auth).send({ maxWaitSeconds: 600 }).expect(403);
    expect((await t.http.put('/api/v1/job-settings').set(owner.auth).send({ maxWaitSeconds: 3600 }).expect(200)).body).toEqual({
      maxWaitSeconds: 3600,
      deferrable: false,
    });
    expect((await t.http.get('/api/v1/job-settings').set(member.auth).expect(200)).body).toEqual({ maxWaitSeconds: 3600, deferrable: false });

    const refused = await t.http
      .post('/api/v1/jobs')
      .set(owner.auth)
      .send({ profile: 'song-analysis', maxWaitSeconds: -5, items: [song] })
      .expect(400);
    expect(JSON.stringify(refused.body.message)).toMatch(/maxWaitSeconds must not be less than 1/);
    const created = await t.http
      .post('/api/v1/jobs')
      .set(owner.auth)
      .send({ profile: 'song-analysis', maxWaitSeconds: 120, items: [song] })
      .expect(202);
    const view = await t.http.get(`/api/v1/jobs/${created.body.id}`).set(owner.auth).expect(200);
    expect(view.body).toMatchObject({ maxWaitSeconds: 120, waiting: false, waitingReason: null, waitingUntil: null });
  });
});
