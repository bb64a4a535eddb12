import { CatalogService } from '@margin/model-router';
import { picoToDecimal } from '@margin/core';
import { makeSession, startTestApp, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

const MINI = encodeURIComponent('openai/gpt-4o-mini');

describe('model catalog and exact pricing', () => {
  let t: TestApp;
  let operator: Awaited<ReturnType<typeof makeSession>>;

  beforeAll(async () => {
    t = await startTestApp(createApp, { migrations: MIGRATIONS });
    operator = await makeSession(t.dataSource, t.http, { role: 'admin', isOperator: true, plan: 'unlimited' });
  });
  afterAll(() => t.close());

  it('serves the seeded catalog: local and cloud models with tiers, context windows and prices', async () => {
    const member = await makeSession(t.dataSource, t.http, { role: 'viewer' });
    const res = await t.http.get('/api/v1/router/models').set(member.auth).expect(200);
    // Fine-tuned models other tests register (the catalog is installation-wide) are not part of the seed.
    const byId = Object.fromEntries(res.body.filter((m: { baseModel: string | null }) => m.baseModel === null).map((m: { id: string }) => [m.id, m]));
    expect(Object.keys(byId).sort()).toEqual([
      'anthropic/claude-haiku-4-5',
      'anthropic/claude-sonnet-4-5',
      'ollama/llama3.1:8b',
      'ollama/mistral:7b',
      'ollama/nomic-embed-text',
      'ollama/qwen3:8b',
      'openai/gpt-4.1-mini',
      'openai/gpt-4o',
      'openai/gpt-4o-mini',
      'openai/text-embedding-3-large',
      'openai/text-embedding-3-small',
    ]);
    expect(byId['openai/text-embedding-3-small']).toMatchObject({ capabilities: ['embeddings'], price: { inputPerMTok: 0.02, outputPerMTok: 0 } });
    expect(byId['ollama/qwen3:8b']).toMatchObject({
      tier: 'local',
      providerId: 'ollama',
      name: 'qwen3:8b',
      gpuUsdPerHour: null,
      price: { inputPerMTok: 0, outputPerMTok: 0 },
    });
    expect(byId['openai/gpt-4o-mini']).toMatchObject({
      tier: 'cheap',
      contextWindow: 128000,
      price: { inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6, effectiveFrom: '2025-01-01T00:00:00.000Z' },
    });
    expect(byId['anthropic/claude-sonnet-4-5'].tier).toBe('premium');
  });

  it('a price change applies from now on; a call is priced at the price in force when it ran', async () => {
    const before = new Date(Date.now() - 60_000);
    const res = await t.http
      .put(`/api/v1/router/models/${MINI}`)
      .set(operator.auth)
      .send({ price: { inputPerMTok: 0.2, cachedInputPerMTok: 0.1, outputPerMTok: 0.8 } })
      .expect(200);
    expect(res.body.price).toMatchObject({ inputPerMTok: 0.2, cachedInputPerMTok: 0.1, outputPerMTok: 0.8 });
    expect(res.body.priceHistory).toHaveLength(2);

    const catalog = t.app.get(CatalogService);
    const usage = { inputTokens: 1200, cachedInputTokens: 200, outputTokens: 300, reasoningTokens: 0 };
    const old = catalog.costOf('openai/gpt-4o-mini', usage, before);
    const now = catalog.costOf('openai/gpt-4o-mini', usage, new Date(Date.now() + 1000));
    expect(picoToDecimal(old.totalPico)).toBe('0.000345000000');
    expect(picoToDecimal(now.totalPico)).toBe('0.000460000000');
  });

  it('schedules a future price without touching the present, and refuses a price in the past (422)', async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const gpt4o = encodeURIComponent('openai/gpt-4o');
    const res = await t.http
      .put(`/api/v1/router/models/${gpt4o}`)
      .set(operator.auth)
      .send({ price: { inputPerMTok: 2, outputPerMTok: 8, effectiveFrom: future } })
      .expect(200);
    expect(res.body.price.inputPerMTok).toBe(2.5);
    expect(res.body.priceHistory[0]).toMatchObject({ inputPerMTok: 2, cachedInputPerMTok: 2, effectiveFrom: future });
    const past = await t.http
      .put(`/api/v1/router/models/${gpt4o}`)
      .set(operator.auth)
      .send({ price: { inputPerMTok: 1, outputPerMTok: 1, effectiveFrom: '2024-01-01T00:00:00Z' } })
      .expect(422);
    expect(past.body.message).toMatch(/cannot be in the past/);
  });

  it('amortizes a local model’s GPU time once the operator sets a rate', async () => {
    const qwen = encodeURIComponent('ollama/qwen3:8b');
    await t.http.put(`/api/v1/router/models/${qwen}`).set(operator.auth).send({ gpuUsdPerHour: 1.8, parallelSlots: 4 }).expect(200);
    const cost = t.app.get(CatalogService).costOf('ollama/qwen3:8b', { inputTokens: 900, cachedInputTokens: 0, outputTokens: 400 }, new Date(), 2000);
    expect(picoToDecimal(cost.totalPico)).toBe('0.000250000000');
  });

  it('validates updates and keeps them to the operator’s admins', async () => {
    const bad = await t.http
      .put(`/api/v1/router/models/${MINI}`)
      .set(operator.auth)
      .send({ tier: 'gold', price: { inputPerMTok: -1, outputPerMTok: 0.1234567 } })
      .expect(400);
    expect(bad.body.message).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tier must be one of/),
        'price.inputPerMTok must not be less than 0',
        expect.stringMatching(/^price.outputPerMTok must be a number/),
      ]),
    );
    const outsiderAdmin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http.put(`/api/v1/router/models/${MINI}`).set(outsiderAdmin.auth).send({ enabled: false }).expect(403);
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: operator.tenant });
    await t.http.put(`/api/v1/router/models/${MINI}`).set(member.auth).send({ enabled: false }).expect(403);
    await t.http
      .get(`/api/v1/router/models/${encodeURIComponent('openai/nope')}`)
      .set(member.auth)
      .expect(404);
  });
});
