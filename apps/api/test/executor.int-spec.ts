import { BudgetExceededError } from '@margin/cost-tracking';
import { ManualClock, REDIS } from '@margin/core';
import type Redis from 'ioredis';
import {
  CircuitBreakerService,
  LlmCallFailedError,
  LlmExecutor,
  NoCandidateError,
  Lease,
  ProvidersUnavailableError,
  type ExecuteInput,
} from '@margin/model-router';
import { makeSession, makeTenant, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { randomUUID } from 'node:crypto';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

const SCHEMA = {
  type: 'object',
  properties: { summary: { type: 'string' }, score: { type: 'integer', minimum: 0, maximum: 100 } },
  required: ['summary', 'score'],
  additionalProperties: false,
};

describe('LLM executor: routing, fallback, circuit breaker, ledger', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let executor: LlmExecutor;
  let tenantId: string;
  const clock = new ManualClock(new Date());

  const input = (over: Partial<ExecuteInput> = {}): ExecuteInput => ({
    tenantId,
    operation: 'analyze',
    complexity: 'simple',
    messages: [{ role: 'user', content: 'Summarize the themes of Amazing Grace.' }],
    maxTokens: 64,
    attemptPrefix: `test:${randomUUID()}`,
    timeoutMs: 2000,
    ...over,
  });
  const ledger = async (prefix: string) =>
    (await t.dataSource.query(`SELECT model_id, outcome, fallback_from, cost_usd, attempt_id FROM llm_calls WHERE attempt_id LIKE $1 ORDER BY attempt_id`, [
      `${prefix}:%`,
    ])) as Array<{
      model_id: string;
      outcome: string;
      fallback_from: string | null;
      cost_usd: string;
    }>;

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp((c) => createApp(c, { clock }), { env: emu.env, migrations: MIGRATIONS });
    executor = t.app.get(LlmExecutor);
    tenantId = (await makeTenant(t.dataSource)).id;
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });
  // Each test starts with every circuit closed and no rate-limit state left by the one before.
  beforeEach(async () => {
    emu.emulator.setFault(null);
    const redis = t.app.get<Redis>(REDIS);
    const keys = [...(await redis.keys('margin:cb:*')), ...(await redis.keys('margin:rl:*'))];
    if (keys.length) await redis.del(...keys);
  });

  it('routes by policy to the first candidate and books one exact ledger row', async () => {
    const i = input();
    const out = await executor.execute(i);
    expect(out.modelId).toBe('ollama/qwen3:8b');
    expect(out.result.emulated).toBe(true);
    expect(out.result.usage.inputTokens).toBeGreaterThan(0);
    const rows = await ledger(i.attemptPrefix);
    expect(rows).toEqual([expect.objectContaining({ model_id: 'ollama/qwen3:8b', outcome: 'success', fallback_from: null, cost_usd: '0.000000000000' })]);
  });

  it.each([
    ['500', 'server_error'],
    ['503', 'server_error'],
    ['hang', 'timeout'],
  ] as const)('falls back to the next candidate on %s (%s), booking both attempts', async (fault, outcome) => {
    emu.emulator.setFault(fault, { model: 'qwen3:8b', times: 1 });
    const i = input({ timeoutMs: 500 });
    const out = await executor.execute(i);
    expect(out.modelId).toBe('ollama/llama3.1:8b');
    expect(out.fallbackFrom).toBe('ollama/qwen3:8b');
    const rows = await ledger(i.attemptPrefix);
    expect(rows.map((r) => [r.model_id, r.outcome, r.fallback_from])).toEqual([
      ['ollama/qwen3:8b', outcome, null],
      ['ollama/llama3.1:8b', 'success', 'ollama/qwen3:8b'],
    ]);
  });

  it('on a 429 it honours the provider (the model is blocked for retry-after) and falls back to a cheaper candidate', async () => {
    emu.emulator.setFault('429', { model: 'claude-haiku-4-5', times: 1 });
    const i = input({ models: ['anthropic/claude-haiku-4-5', 'ollama/llama3.1:8b'] });
    const out = await executor.execute(i);
    expect(out.modelId).toBe('ollama/llama3.1:8b');
    expect((await ledger(i.attemptPrefix)).map((r) => [r.model_id, r.outcome])).toEqual([
      ['anthropic/claude-haiku-4-5', 'rate_limited'],
      ['ollama/llama3.1:8b', 'success'],
    ]);
    // Until retry-after passes, the model is skipped without a call.
    const next = await executor.execute(input({ models: ['anthropic/claude-haiku-4-5', 'ollama/llama3.1:8b'] }));
    expect(next.attempts[0]).toMatchObject({ model: 'anthropic/claude-haiku-4-5', kind: 'skipped', reason: 'rate-limit' });
  });

  it('falls back when a stream is cut mid-way (stream interrupted) when the caller waits for the whole answer', async () => {
    emu.emulator.setFault('stream-cut', { model: 'qwen3:8b', times: 1 });
    const i = input({ transport: 'stream' });
    const out = await executor.execute(i);
    expect(out.modelId).toBe('ollama/llama3.1:8b');
    expect((await ledger(i.attemptPrefix)).map((r) => r.outcome)).toEqual(['stream_interrupted', 'success']);
  });

  it('to a streaming caller, a cut after text was sent is an error, never a short success', async () => {
    emu.emulator.setFault('stream-cut', { model: 'qwen3:8b', times: 1 });
    const i = input();
    let text = '';
    const consume = async () => {
      for await (const e of executor.stream(i)) if (e.type === 'delta') text += e.text;
    };
    await expect(consume()).rejects.toMatchObject({ kind: 'stream_interrupted' });
    expect(text.length).toBeGreaterThan(0);
    expect((await ledger(i.attemptPrefix)).map((r) => r.outcome)).toEqual(['stream_interrupted']);
  });

  it('repairs invalid structured output once on the same model, then falls back', async () => {
    emu.emulator.setFault('schema-violation', { model: 'qwen3:8b', times: 1 });
    const once = input({ outputSchema: { name: 'analysis', schema: SCHEMA } });
    const repaired = await executor.execute(once);
    expect(repaired.modelId).toBe('ollama/qwen3:8b');
    expect(repaired.result.json).toEqual({ summary: expect.any(String), score: expect.any(Number) });
    expect((await ledger(once.attemptPrefix)).map((r) => r.outcome)).toEqual(['invalid_output', 'success']);

    emu.emulator.setFault('malformed-json', { model: 'qwen3:8b', times: 2 });
    const twice = input({ outputSchema: { name: 'analysis', schema: SCHEMA } });
    const fellBack = await executor.execute(twice);
    expect(fellBack.modelId).toBe('ollama/llama3.1:8b');
    expect((await ledger(twice.attemptPrefix)).map((r) => [r.model_id, r.outcome])).toEqual([
      ['ollama/qwen3:8b', 'invalid_output'],
      ['ollama/qwen3:8b', 'invalid_output'],
      ['ollama/llama3.1:8b', 'success'],
    ]);
  });

  it('does not fall through on an auth error: it surfaces, booked', async () => {
    emu.emulator.setFault('401', { model: 'qwen3:8b', times: 1 });
    const i = input();
    const err = await executor.execute(i).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmCallFailedError);
    expect((err as LlmCallFailedError).kind).toBe('auth');
    expect((await ledger(i.attemptPrefix)).map((r) => r.outcome)).toEqual(['auth']);
  });

  it('opens the circuit after repeated failures, skips the model, and recovers through a half-open probe', async () => {
    emu.emulator.setFault('500', { model: 'mistral:7b', times: 5 });
    for (let n = 0; n < 5; n++) {
      await executor.execute(input({ models: ['ollama/mistral:7b', 'ollama/llama3.1:8b'] }));
    }
    const skipped = input({ models: ['ollama/mistral:7b', 'ollama/llama3.1:8b'] });
    const out = await executor.execute(skipped);
    expect(out.modelId).toBe('ollama/llama3.1:8b');
    expect(out.attempts[0]).toMatchObject({ model: 'ollama/mistral:7b', kind: 'skipped', reason: 'circuit-open' });
    expect((await ledger(skipped.attemptPrefix)).map((r) => r.model_id)).toEqual(['ollama/llama3.1:8b']);

    clock.advance(31_000);
    const probe = input({ models: ['ollama/mistral:7b', 'ollama/llama3.1:8b'] });
    expect((await executor.execute(probe)).modelId).toBe('ollama/mistral:7b');
    expect((await executor.execute(input({ models: ['ollama/mistral:7b'] }))).modelId).toBe('ollama/mistral:7b');
  });

  it('says why when no candidate can take the call', async () => {
    const err = await executor.execute(input({ models: ['ollama/no-such-model'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCandidateError);
    expect((err as Error).message).toMatch(/ollama\/no-such-model: skipped:unknown-model/);
  });

  it('every candidate failing for a passing reason (server errors, timeouts) is an outage to wait out, not a failure', async () => {
    emu.emulator.setFault('500', { model: 'qwen3:8b', times: 10 });
    emu.emulator.setFault('hang', { model: 'llama3.1:8b', times: 10 });
    const err = await executor.execute(input({ models: ['ollama/qwen3:8b', 'ollama/llama3.1:8b'], timeoutMs: 300 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvidersUnavailableError);
    const outage = err as ProvidersUnavailableError;
    expect(outage.httpStatus).toBe(503);
    expect(outage.reason).toMatch(/ollama\/qwen3:8b: server error 500.*ollama\/llama3.1:8b: timed out/);
    expect(outage.retryAfterMs).toBeGreaterThan(0);
    expect(outage.retryAt.getTime()).toBe(clock.now().getTime() + outage.retryAfterMs);
  });

  it('with every circuit open, says when the first one half-opens (retryAt), sending nothing', async () => {
    const breaker = t.app.get(CircuitBreakerService);
    for (const model of ['ollama/qwen3:8b', 'ollama/llama3.1:8b']) for (let n = 0; n < 5; n++) await breaker.recordFailure(model);
    clock.advance(10_000);
    const i = input({ models: ['ollama/qwen3:8b', 'ollama/llama3.1:8b'] });
    const err = await executor.execute(i).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvidersUnavailableError);
    const outage = err as ProvidersUnavailableError;
    // opened 10 s ago, open for 30 s: back in 20 s
    expect(outage.retryAfterMs).toBe(20_000);
    expect(outage.retryAfterSeconds).toBe(20);
    expect(outage.attempts.map((a) => (a.kind === 'skipped' ? a.reason : a.kind))).toEqual(['circuit-open', 'circuit-open']);
    expect(await ledger(i.attemptPrefix)).toEqual([]);
    clock.advance(21_000);
    expect((await executor.execute(input({ models: ['ollama/qwen3:8b', 'ollama/llama3.1:8b'] }))).modelId).toBe('ollama/qwen3:8b');
  });

  it('skips candidates whose context window is too small', async () => {
    const huge = 'word '.repeat(36_000); // ≈ 45k tokens: over qwen3's 40,960 window
    const out = await executor.execute(input({ messages: [{ role: 'user', content: huge }] }));
    expect(out.modelId).toBe('ollama/llama3.1:8b');
    expect(out.attempts[0]).toMatchObject({ model: 'ollama/qwen3:8b', kind: 'skipped', reason: 'context-window' });
  });

  it('beforeDispatch refusing sends nothing and books nothing; its limiter slot and budget reservation come back', async () => {
    const released = jest.spyOn(Lease.prototype, 'release');
    const before = emu.emulator.stats()['qwen3:8b']?.requests ?? 0;
    const budgetKeys = async () => t.app.get<Redis>(REDIS).keys('margin:budget:j:*');
    const jobId = randomUUID();
    let asked = 0;
    let reservedWhileAsked: string | null = null;
    const i = input({
      jobId,
      jobBudgetPico: 10_000_000_000n,
      beforeDispatch: async () => {
        asked++;
        // held while the caller decides: the budget reservation is in place
        reservedWhileAsked = await t.app.get<Redis>(REDIS).get(`margin:budget:j:${jobId}:reserved`);
        throw new Error('job cancelled meanwhile');
      },
    });
    await expect(executor.execute(i)).rejects.toThrow('job cancelled meanwhile');
    expect(asked).toBe(1);
    expect(emu.emulator.stats()['qwen3:8b']?.requests ?? 0).toBe(before);
    expect(await ledger(i.attemptPrefix)).toEqual([]);
    expect(released).toHaveBeenCalledTimes(1);
    released.mockRestore();
    expect(await budgetKeys()).toEqual(expect.arrayContaining([`margin:budget:j:${jobId}:reserved`]));
    expect(reservedWhileAsked).not.toBeNull();
    expect(await t.app.get<Redis>(REDIS).get(`margin:budget:j:${jobId}:reserved`)).toBe('0');
    // and when it agrees, the call runs as usual
    const ok = input({ beforeDispatch: () => undefined });
    expect((await executor.execute(ok)).modelId).toBe('ollama/qwen3:8b');
    expect(await ledger(ok.attemptPrefix)).toHaveLength(1);
  });

  it('a job without a budget of its own is not counted in Redis (nothing to refuse); one with a budget is', async () => {
    const redis = t.app.get<Redis>(REDIS);
    const free = randomUUID();
    await executor.execute(input({ jobId: free, jobBudgetPico: null }));
    expect(await redis.keys(`margin:budget:j:${free}:*`)).toEqual([]);
    const capped = randomUUID();
    await executor.execute(input({ jobId: capped, jobBudgetPico: 10_000_000_000n }));
    expect((await redis.keys(`margin:budget:j:${capped}:*`)).sort()).toEqual([`margin:budget:j:${capped}:reserved`, `margin:budget:j:${capped}:spent`]);
  });

  it('books a retried attempt only once (idempotent per attempt id)', async () => {
    const i = input();
    await executor.execute(i);
    await executor.execute({ ...i });
    expect(await ledger(i.attemptPrefix)).toHaveLength(1);
  });

  it('POST /router/route explains the choice and what was skipped', async () => {
    const s = await makeSession(t.dataSource, t.http, { role: 'member' });
    const res = await t.http
      .post('/api/v1/router/route')
      .set(s.auth)
      .send({ operation: 'draft', complexity: 'complex', inputTokens: 2000, maxTokens: 1000, budgetUsd: 0.01 })
      .expect(200);
    expect(res.body.chosen).toMatchObject({ model: 'anthropic/claude-haiku-4-5', tier: 'standard' });
    expect(res.body.skipped).toEqual(expect.arrayContaining([expect.objectContaining({ model: 'anthropic/claude-sonnet-4-5', reason: 'budget' })]));
    expect(res.body.reason).toMatch(/draft\/complex → anthropic\/claude-haiku-4-5/);
    await t.http.post('/api/v1/router/route').set(s.auth).send({ operation: 'Not Valid' }).expect(400);
    const unknown = await t.http.post('/api/v1/router/route').set(s.auth).send({ operation: 'juggle' }).expect(422);
    expect(unknown.body.message).toMatch(/No routing policy for operation "juggle"/);
  });

  it('tenant overrides and A/B splits change the route for that tenant only', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const other = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http
      .put('/api/v1/router/policy')
      .set(admin.auth)
      .send({
        scope: 'tenant',
        cells: [{ operation: 'analyze', complexity: 'simple', candidates: ['ollama/mistral:7b'], abTest: { challenger: 'ollama/llama3.1:8b', share: 1 } }],
      })
      .expect(200);
    const mine = await t.http.post('/api/v1/router/route').set(admin.auth).send({ operation: 'analyze', complexity: 'simple' }).expect(200);
    expect(mine.body.chosen.model).toBe('ollama/llama3.1:8b');
    expect(mine.body.abTest).toMatchObject({ challenger: 'ollama/llama3.1:8b', challengerChosen: true });
    const theirs = await t.http.post('/api/v1/router/route').set(other.auth).send({ operation: 'analyze', complexity: 'simple' }).expect(200);
    expect(theirs.body.chosen.model).toBe('ollama/qwen3:8b');
    const policy = await t.http.get('/api/v1/router/policy').set(admin.auth).expect(200);
    expect(policy.body.tenant).toHaveLength(1);
    expect(
      policy.body.effective.find((c: { operation: string; complexity: string }) => c.operation === 'analyze' && c.complexity === 'simple').candidates,
    ).toEqual(['ollama/mistral:7b']);
    await t.http.put('/api/v1/router/policy').set(admin.auth).send({ scope: 'global', cells: [] }).expect(403);
    const bad = await t.http
      .put('/api/v1/router/policy')
      .set(admin.auth)
      .send({ scope: 'tenant', cells: [{ operation: 'analyze', complexity: 'simple', candidates: ['nope/model'] }] })
      .expect(422);
    expect(bad.body.message).toMatch(/unknown model "nope\/model"/);
  });

  it("a tenant's own policy pointing only at models its plan forbids: /analyze answers 403 naming the plan and the cell, not 503", async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin', plan: 'free' });
    await t.http
      .put('/api/v1/router/policy')
      .set(admin.auth)
      .send({ scope: 'tenant', cells: [{ operation: 'analyze', complexity: 'simple', candidates: ['openai/gpt-4o'] }] })
      .expect(200);
    const res = await t.http
      .post('/api/v1/analyze')
      .set(admin.auth)
      .send({ profile: 'song-analysis', input: { title: 'Plan test', artist: 'Nobody', lyrics: 'a line that no cache has seen before, for the plan test' } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'plan_forbids_model' });
    expect(res.body.message).toMatch(/plan allows only local models/);
    expect(res.body.message).toMatch(/analyze × simple/);
  });

  it('a spent budget refuses paid calls with 429-class BudgetExceededError but never blocks $0 local models', async () => {
    const tenant = await makeTenant(t.dataSource);
    await t.dataSource.query(`INSERT INTO budgets (tenant_id, monthly_limit_usd, hard_stop) VALUES ($1, 0, true)`, [tenant.id]); // a new tenant: nothing cached yet
    const paid = await executor.execute(input({ tenantId: tenant.id, models: ['openai/gpt-4o-mini'] })).catch((e: unknown) => e);
    expect(paid).toBeInstanceOf(BudgetExceededError);
    expect((paid as Error).message).toMatch(/monthly tenant budget is exhausted/);
    const local = await executor.execute(input({ tenantId: tenant.id, models: ['ollama/qwen3:8b'] }));
    expect(local.costPico).toBe(0n);
  });
});
