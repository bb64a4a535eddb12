import { BudgetExceededError } from '@margin/cost-tracking';
import { ManualClock, picoToUsd, usdToPico } from '@margin/core';
import { CatalogService, estimateInputTokens, LlmExecutor, RouterService, type ExecuteInput } from '@margin/model-router';
import { makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('budgets that hold, and the costs endpoints', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let executor: LlmExecutor;
  const clock = new ManualClock(new Date('2026-11-30T23:50:00Z'));

  const paidCall = (tenantId: string, over: Partial<ExecuteInput> = {}): ExecuteInput => ({
    tenantId,
    operation: 'draft',
    complexity: 'medium',
    models: ['openai/gpt-4o'],
    messages: [{ role: 'user', content: 'Write a short paragraph about hymns in modern worship.' }],
    maxTokens: 200,
    attemptPrefix: `budget:${randomUUID()}`,
    ...over,
  });

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp((c) => createApp(c, { clock }), { env: emu.env, migrations: MIGRATIONS });
    executor = t.app.get(LlmExecutor);
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  it('GET/PUT /budget: admins set the limit, thresholds and hard stop; members read; bad input is a 400', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: admin.tenant });
    const initial = await t.http.get('/api/v1/budget').set(member.auth).expect(200);
    expect(initial.body).toMatchObject({
      monthlyLimitUsd: null,
      alertThresholds: [0.5, 0.8, 1],
      hardStop: false,
      spentUsd: 0,
      periodStart: '2026-11-01T00:00:00.000Z',
      resetsAt: '2026-12-01T00:00:00.000Z',
    });
    await t.http.put('/api/v1/budget').set(member.auth).send({ monthlyLimitUsd: 5 }).expect(403);
    const set = await t.http
      .put('/api/v1/budget')
      .set(admin.auth)
      .send({ monthlyLimitUsd: 12.5, alertThresholds: [0.9, 0.25], hardStop: true })
      .expect(200);
    expect(set.body).toMatchObject({ monthlyLimitUsd: 12.5, alertThresholds: [0.25, 0.9], hardStop: true });
    const bad = await t.http
      .put('/api/v1/budget')
      .set(admin.auth)
      .send({ monthlyLimitUsd: -1, alertThresholds: ['x'] })
      .expect(400);
    expect(bad.body.message).toEqual(expect.arrayContaining(['monthlyLimitUsd must not be less than 0']));
  });

  it('20 concurrent callers against a hard cap: spend never passes it by more than one call’s worst case', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const limit = 0.005;
    await t.http.put('/api/v1/budget').set(admin.auth).send({ monthlyLimitUsd: limit, hardStop: true }).expect(200);
    const model = t.app.get(CatalogService).model('openai/gpt-4o');
    const worstCase = picoToUsd(t.app.get(RouterService).estimate(model!, estimateInputTokens(paidCall('x').messages), 200));
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => executor.execute(paidCall(admin.tenant.id))));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof BudgetExceededError).length;
    expect(ok + refused).toBe(20);
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    const [{ total }] = await t.dataSource.query(`SELECT coalesce(sum(cost_usd), 0)::text AS total FROM llm_calls WHERE tenant_id = $1`, [admin.tenant.id]);
    expect(Number(total)).toBeLessThanOrEqual(limit + worstCase);
    const budget = await t.http.get('/api/v1/budget').set(admin.auth).expect(200);
    expect(budget.body.reservedUsd).toBe(0);
    expect(budget.body.spentUsd).toBe(picoToUsd(usdToPico(total)));
  });

  it('raises each alert threshold once per month and lists it', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http
      .put('/api/v1/budget')
      .set(admin.auth)
      .send({ monthlyLimitUsd: 0.001, alertThresholds: [0.5, 1], hardStop: false })
      .expect(200);
    for (let i = 0; i < 4; i++) await executor.execute(paidCall(admin.tenant.id));
    const budget = await t.http.get('/api/v1/budget').set(admin.auth).expect(200);
    expect(budget.body.alerts.map((a: { threshold: number }) => a.threshold)).toEqual([0.5, 1]);
    expect(budget.body.spentUsd).toBeGreaterThan(0.001); // no hard stop: alerts only
  });

  it('resets on the calendar month (UTC) with the injected clock', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http.put('/api/v1/budget').set(admin.auth).send({ monthlyLimitUsd: 0.003, hardStop: true }).expect(200);
    clock.set('2026-11-30T23:58:00Z');
    let refusedInNovember = false;
    for (let i = 0; i < 10 && !refusedInNovember; i++) {
      refusedInNovember = (await executor.execute(paidCall(admin.tenant.id)).catch((e: unknown) => e)) instanceof BudgetExceededError;
    }
    expect(refusedInNovember).toBe(true);
    const refusal = (await executor.execute(paidCall(admin.tenant.id)).catch((e: unknown) => e)) as BudgetExceededError;
    expect(refusal.retryAfterSeconds).toBe(120);
    clock.set('2026-12-01T00:00:01Z');
    await expect(executor.execute(paidCall(admin.tenant.id))).resolves.toMatchObject({ modelId: 'openai/gpt-4o' });
    const december = await t.http.get('/api/v1/budget').set(admin.auth).expect(200);
    expect(december.body.periodStart).toBe('2026-12-01T00:00:00.000Z');
    expect(december.body.spentUsd).toBeLessThan(0.003);
    clock.set('2026-11-30T23:50:00Z');
  });

  it('the summary endpoint equals the ledger, to the last digit, grouped every way', async () => {
    const s = await makeSession(t.dataSource, t.http, { role: 'owner' });
    clock.set('2026-11-15T12:00:00Z');
    for (const models of [['openai/gpt-4o-mini'], ['anthropic/claude-haiku-4-5'], ['ollama/qwen3:8b'], ['openai/gpt-4o-mini']]) {
      await executor.execute(paidCall(s.tenant.id, { models, operation: models[0] === 'ollama/qwen3:8b' ? 'analyze' : 'draft' }));
    }
    const [sums] = await t.dataSource.query(
      `SELECT count(*)::int AS calls, sum(cost_usd)::text AS cost, sum(input_tokens)::int AS input, sum(output_tokens)::int AS output FROM llm_calls WHERE tenant_id = $1`,
      [s.tenant.id],
    );
    for (const groupBy of ['provider', 'model', 'operation', 'day', 'job']) {
      const res = await t.http
        .get('/api/v1/costs/summary')
        .query({ groupBy, from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' })
        .set(s.auth)
        .expect(200);
      expect(res.body).toMatchObject({ calls: sums.calls, inputTokens: sums.input, outputTokens: sums.output, totalUsd: picoToUsd(usdToPico(sums.cost)) });
      const rowSum = res.body.rows.reduce((n: bigint, r: { costUsd: number }) => n + usdToPico(r.costUsd.toFixed(6)), 0n);
      expect(picoToUsd(rowSum)).toBeCloseTo(res.body.totalUsd, 6);
      expect(res.body.rows.reduce((n: number, r: { calls: number }) => n + r.calls, 0)).toBe(sums.calls);
    }
    const byModel = await t.http.get('/api/v1/costs/summary').query({ groupBy: 'model', from: '2026-11-01T00:00:00Z' }).set(s.auth).expect(200);
    expect(byModel.body.rows.map((r: { key: string }) => r.key).sort()).toEqual(['anthropic/claude-haiku-4-5', 'ollama/qwen3:8b', 'openai/gpt-4o-mini']);
    // Routing savings: what the premium candidate would have cost for the same tokens.
    expect(byModel.body.savedUsd).toBeGreaterThan(0);

    const page1 = await t.http.get('/api/v1/costs/calls').query({ limit: 3 }).set(s.auth).expect(200);
    expect(page1.body.data).toHaveLength(3);
    const page2 = await t.http.get('/api/v1/costs/calls').query({ limit: 3, cursor: page1.body.nextCursor }).set(s.auth).expect(200);
    expect(page2.body.data).toHaveLength(1);
    expect(page2.body.nextCursor).toBeNull();
    const ids = [...page1.body.data, ...page2.body.data].map((c: { id: string }) => c.id);
    expect(new Set(ids).size).toBe(4);
    await t.http.get('/api/v1/costs/calls').query({ cursor: 'garbage' }).set(s.auth).expect(400);
    await t.http.get('/api/v1/costs/summary').query({ groupBy: 'color' }).set(s.auth).expect(400);
    // Another tenant sees none of it.
    const other = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const theirs = await t.http.get('/api/v1/costs/calls').set(other.auth).expect(200);
    expect(theirs.body.data).toEqual([]);
    clock.set('2026-11-30T23:50:00Z');
  });
});
