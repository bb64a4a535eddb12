// The batch tier end to end against the emulator's OpenAI and Anthropic batch APIs: a deferrable call is queued,
// flushed into a provider batch (upload, create), polled, downloaded and booked once at the batch price; failed
// requests run live; a poller that dies half-way through booking, restarted from what Postgres holds, books
// nothing twice.
import { JobsRepository } from '@margin/analysis';
import { AppConfig, Clock, postgresOptions } from '@margin/core';
import { BudgetService, LedgerService } from '@margin/cost-tracking';
import { BatchRepository, BatchTierService, CatalogService, DeferredToBatchError, LlmExecutor, type ExecuteInput } from '@margin/model-router';
import { ProviderRegistry } from '@margin/providers';
import { makeTenant, startEmulator, startTestApp, testConfig, type RunningEmulator, type TestApp } from '@margin/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

const SCHEMA = {
  type: 'object',
  properties: { mood: { type: 'string', enum: ['joyful', 'calm', 'melancholic'] } },
  required: ['mood'],
  additionalProperties: false,
};

/** The schema as migrations alone make it; Redis is left alone (other suites' keys live there too). */
async function migrateFresh(): Promise<void> {
  const ds = new DataSource({ ...postgresOptions(testConfig().databaseUrl), migrations: MIGRATIONS });
  await ds.initialize();
  try {
    await ds.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    await ds.runMigrations({ transaction: 'all' });
  } finally {
    await ds.destroy();
  }
}

describe('batch tier (OpenAI Batch API, Anthropic Message Batches) through the executor', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let executor: LlmExecutor;
  let tier: BatchTierService;
  let tenantId: string;

  const input = (n: number | string, over: Partial<ExecuteInput> = {}): ExecuteInput => ({
    tenantId,
    operation: 'analyze',
    complexity: 'simple',
    models: ['openai/gpt-4o-mini'],
    messages: [{ role: 'user', content: `What is the mood of song ${n}? Answer as JSON.` }],
    maxTokens: 64,
    outputSchema: { name: 'mood', schema: SCHEMA },
    attemptPrefix: `bt:${randomUUID()}`,
    timeoutMs: 5000,
    batch: { key: `item-${n}-${randomUUID()}:analyze:0`, deadline: null },
    ...over,
  });

  async function deferred(i: ExecuteInput): Promise<DeferredToBatchError> {
    const err = await executor.execute(i).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeferredToBatchError);
    return err as DeferredToBatchError;
  }

  /** Polls until every batch in flight has ended at the provider and been processed. */
  async function pollUntilEnded(service = tier, batches = 1): Promise<void> {
    let ended = 0;
    const until = Date.now() + 10_000;
    while (ended < batches) {
      if (Date.now() > until) throw new Error('batches did not end');
      await t.dataSource.query(`UPDATE llm_batches SET next_poll_at = now() WHERE state = 'submitted'`);
      ended += await service.poll();
      if (ended < batches) await new Promise((r) => setTimeout(r, 30));
    }
  }

  const ledger = async (requestIds: string[]) =>
    (await t.dataSource.query(
      `SELECT attempt_id, tier, outcome, cost_usd, input_tokens, output_tokens, model_id FROM llm_calls WHERE attempt_id LIKE ANY($1) ORDER BY attempt_id`,
      [requestIds.map((id) => `batch:${id}%`)],
    )) as Array<{ attempt_id: string; tier: string; outcome: string; cost_usd: string; input_tokens: number; output_tokens: number; model_id: string }>;

  beforeAll(async () => {
    emu = await startEmulator();
    await migrateFresh();
    t = await startTestApp((c) => createApp(c), {
      env: { ...emu.env, BATCH_FLUSH_MAX_AGE_MS: '0', BATCH_FLUSH_MAX_REQUESTS: '100', BATCH_POLL_INTERVAL_MS: '3600000', BATCH_MIN_WINDOW_SECONDS: '3600' },
    });
    executor = t.app.get(LlmExecutor);
    tier = t.app.get(BatchTierService);
    tenantId = (await makeTenant(t.dataSource)).id;
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });
  beforeEach(() => {
    emu.emulator.batches.reset();
    emu.emulator.batches.configure({ completionDelayMs: 50 });
  });

  it('queues, uploads, creates, polls, downloads and books each request once at half the live price', async () => {
    const calls = [1, 2, 3].map((n) => input(n));
    const waits = await Promise.all(calls.map(deferred));
    // asked again before the batch has run: still the same request, nothing queued twice
    expect((await deferred(calls[0] as ExecuteInput)).requestId).toBe(waits[0]?.requestId);
    expect(await tier.flush()).toBe(1);
    expect(emu.emulator.batches.stats()).toMatchObject({ openai: { in_progress: 1 } });
    const [batch] = await t.dataSource.query(`SELECT state, remote_id, request_count FROM llm_batches`);
    expect(batch).toMatchObject({ state: 'submitted', remote_id: expect.stringMatching(/^batch_/), request_count: 3 });
    await pollUntilEnded();

    const outcomes = await Promise.all(calls.map((c) => executor.execute(c)));
    const catalog = t.app.get(CatalogService);
    const rows = await ledger(waits.map((w) => w.requestId));
    expect(rows).toHaveLength(3);
    for (const [i, out] of outcomes.entries()) {
      expect(out.result.json).toEqual({ mood: expect.any(String) });
      expect(out.routingReason).toMatch(/^batch tier/);
      const row = rows.find((r) => r.attempt_id === `batch:${waits[i]?.requestId}`);
      expect(row).toMatchObject({ tier: 'batch', outcome: 'success', model_id: 'openai/gpt-4o-mini' });
      // the batch price is exactly half of what the same tokens cost live
      const live = catalog.costOf('openai/gpt-4o-mini', out.result.usage, new Date()).totalPico;
      expect(out.costPico * 2n).toBe(live);
      expect(row?.cost_usd).toBe((Number(out.costPico) / 1e12).toFixed(12));
    }
    // answered from the batch: the executor books nothing more (no live row for these calls)
    const live = await t.dataSource.query(`SELECT count(*)::int AS n FROM llm_calls WHERE attempt_id LIKE ANY($1)`, [calls.map((c) => `${c.attemptPrefix}:%`)]);
    expect(live[0].n).toBe(0);
  });

  it('runs the requests that failed in the batch live, and batches the expired ones again', async () => {
    emu.emulator.batches.configure({ failEvery: 2 });
    const calls = [1, 2].map((n) => input(`partial-${n}`));
    const waits = await Promise.all(calls.map(deferred));
    await tier.flush();
    await pollUntilEnded();
    // every second line of the batch failed at the provider: one answered, one failed (which one is the file's order)
    const rows = (await t.dataSource.query(`SELECT id, state, outcome, retryable FROM llm_batch_requests WHERE id = ANY($1)`, [
      waits.map((w) => w.requestId),
    ])) as Array<{ id: string; state: string; outcome: string; retryable: boolean }>;
    expect(rows.map((r) => r.state).sort()).toEqual(['failed', 'succeeded']);
    expect(rows.find((r) => r.state === 'failed')).toMatchObject({ outcome: 'errored', retryable: true });
    const failedAt = waits.findIndex((w) => w.requestId === rows.find((r) => r.state === 'failed')?.id);
    const [fromBatch, live] = failedAt === 1 ? calls : [calls[1], calls[0]];
    const answered = await executor.execute(fromBatch as ExecuteInput);
    const rerun = await executor.execute(live as ExecuteInput);
    expect(answered.routingReason).toMatch(/^batch tier/);
    expect(rerun.routingReason).not.toMatch(/^batch tier/);
    const liveRows = await t.dataSource.query(`SELECT tier, outcome FROM llm_calls WHERE attempt_id LIKE $1`, [`${live?.attemptPrefix}:%`]);
    expect(liveRows).toEqual([{ tier: 'live', outcome: 'success' }]);
    // the failed request is in the ledger at $0 (its own key), the answered one at its price
    expect((await ledger([waits[failedAt]?.requestId as string])).map((r) => [r.outcome, r.cost_usd])).toEqual([['errored', '0.000000000000']]);

    // an expired request goes into the next batch (the job has no deadline), and is answered there
    emu.emulator.batches.configure({ failEvery: 0, expireNext: 1 });
    const more = [1, 2].map((n) => input(`expire-${n}`));
    const moreWaits = await Promise.all(more.map(deferred));
    await tier.flush();
    await pollUntilEnded();
    const second = (await t.dataSource.query(`SELECT id, state, rounds FROM llm_batch_requests WHERE id = ANY($1) ORDER BY state`, [
      moreWaits.map((w) => w.requestId),
    ])) as Array<{
      id: string;
      state: string;
      rounds: number;
    }>;
    expect(second.map((r) => [r.state, r.rounds])).toEqual([
      ['queued', 1],
      ['succeeded', 0],
    ]);
    const expiredAt = moreWaits.findIndex((w) => w.requestId === second[0]?.id);
    await deferred(more[expiredAt] as ExecuteInput);
    expect(await tier.flush()).toBe(1);
    await pollUntilEnded();
    const out = await executor.execute(more[expiredAt] as ExecuteInput);
    expect(out.routingReason).toMatch(/^batch tier/);
    expect((await ledger([moreWaits[expiredAt]?.requestId as string])).map((r) => r.outcome).sort()).toEqual(['expired', 'success']);
  });

  it('a poller that dies while booking a download, restarted, books nothing twice', async () => {
    const calls = [1, 2, 3, 4].map((n) => input(`crash-${n}`));
    const waits = await Promise.all(calls.map(deferred));
    await tier.flush();
    const budgets = t.app.get(BudgetService);
    const spentBefore = (await budgets.get(tenantId)).spentUsd;

    // The first poller books the first two answers, then dies before it marks the second one answered.
    const repo = t.app.get(BatchRepository);
    let marked = 0;
    const crashing = Object.create(repo) as BatchRepository;
    crashing.succeed = async (...args) => {
      if (++marked === 2) throw new Error('worker killed');
      return repo.succeed(...args);
    };
    const make = (r: BatchRepository) =>
      new BatchTierService(
        r,
        t.app.get(CatalogService),
        t.app.get(ProviderRegistry),
        t.app.get(LedgerService),
        budgets,
        t.app.get(Clock),
        t.app.get(AppConfig),
      );
    const first = make(crashing);
    await new Promise((r) => setTimeout(r, 200)); // the batch has ended at the provider
    await t.dataSource.query(`UPDATE llm_batches SET next_poll_at = now() WHERE state = 'submitted'`);
    expect(await first.poll()).toBe(0); // it died: the batch is still in flight in Postgres
    expect((await ledger(waits.map((w) => w.requestId))).length).toBe(2);

    // A new poller, from what Postgres holds: downloads again, books the two others once, marks all four.
    await pollUntilEnded(make(repo));
    const rows = await ledger(waits.map((w) => w.requestId));
    expect(rows.map((r) => r.attempt_id).sort()).toEqual(waits.map((w) => `batch:${w.requestId}`).sort());
    const states = await t.dataSource.query(`SELECT state, count(*)::int AS n FROM llm_batch_requests WHERE id = ANY($1) GROUP BY state`, [
      waits.map((w) => w.requestId),
    ]);
    expect(states).toEqual([{ state: 'succeeded', n: 4 }]);
    // and the budget took each cost once
    const booked = rows.reduce((sum, r) => sum + BigInt(Math.round(Number(r.cost_usd) * 1e12)), 0n);
    const spentAfter = (await budgets.get(tenantId)).spentUsd;
    expect(Math.round((spentAfter - spentBefore) * 1e6)).toBe(Math.round(Number(booked) / 1e6));
    // the items get the answers, booking nothing more
    for (const c of calls) expect((await executor.execute(c)).result.json).toEqual({ mood: expect.any(String) });
    expect((await ledger(waits.map((w) => w.requestId))).length).toBe(4);
  });

  it('drops the queued requests of a cancelled job: never sent, never booked', async () => {
    const jobs = t.app.get(JobsRepository);
    tier.setUnwantedJobs((list) => jobs.cancelledAmong(list));
    const [cancelledJob, liveJob] = [randomUUID(), randomUUID()];
    for (const [id, status] of [
      [cancelledJob, 'cancelled'],
      [liveJob, 'running'],
    ])
      await t.dataSource.query(
        `INSERT INTO jobs (id, tenant_id, profile_key, profile_version, status, priority, total_items, created_at) VALUES ($1, $2, 'song-analysis', 1, $3, 'medium', 1, now())`,
        [id, tenantId, status],
      );
    const dropped = await deferred(input('cancelled', { jobId: cancelledJob }));
    const kept = await deferred(input('kept', { jobId: liveJob }));
    // another tenant's job of the same id would not count: the filter is scoped by tenant
    expect(await jobs.cancelledAmong([{ tenantId: randomUUID(), jobId: cancelledJob }])).toEqual(new Set());
    expect(await tier.flush()).toBe(1);
    await pollUntilEnded();
    const states = (await t.dataSource.query(`SELECT id, state, outcome FROM llm_batch_requests WHERE id = ANY($1)`, [
      [dropped.requestId, kept.requestId],
    ])) as Array<{
      id: string;
      state: string;
      outcome: string;
    }>;
    expect(states.find((r) => r.id === dropped.requestId)).toMatchObject({ state: 'failed', outcome: 'canceled' });
    expect(states.find((r) => r.id === kept.requestId)).toMatchObject({ state: 'succeeded' });
    expect(await ledger([dropped.requestId])).toEqual([]);
    const [sent] = await t.dataSource.query(`SELECT request_count FROM llm_batches b JOIN llm_batch_requests r ON r.batch_id = b.id WHERE r.id = $1`, [
      kept.requestId,
    ]);
    expect(sent.request_count).toBe(2); // claimed together; only the wanted one went to the provider
    tier.setUnwantedJobs(async () => new Set());
  });

  it('sends Anthropic models through Message Batches', async () => {
    const call = input('claude', { models: ['anthropic/claude-haiku-4-5'] });
    const wait = await deferred(call);
    expect(wait.modelId).toBe('anthropic/claude-haiku-4-5');
    await tier.flush();
    expect(emu.emulator.batches.stats().anthropic).toEqual({ in_progress: 1 });
    await pollUntilEnded();
    const out = await executor.execute(call);
    expect(out.result.json).toEqual({ mood: expect.any(String) });
    const live = t.app.get(CatalogService).costOf('anthropic/claude-haiku-4-5', out.result.usage, new Date()).totalPico;
    expect(out.costPico * 2n).toBe(live);
  });

  it('runs live when the deadline is too near, and the queue is bounded by the model batch token limit', async () => {
    const near = input('near', { batch: { key: `near-${randomUUID()}`, deadline: new Date(Date.now() + 60_000) } });
    const out = await executor.execute(near);
    expect(out.routingReason).not.toMatch(/^batch tier/);
    // a queue limit below one request's tokens: nothing fits, the call runs live
    await t.dataSource.query(`UPDATE models SET batch_queue_tokens = 10 WHERE id = 'openai/gpt-4o-mini'`);
    await t.app.get(CatalogService).update('openai/gpt-4o-mini', {});
    try {
      const full = await executor.execute(input('full'));
      expect(full.routingReason).not.toMatch(/^batch tier/);
    } finally {
      await t.dataSource.query(`UPDATE models SET batch_queue_tokens = 2000000 WHERE id = 'openai/gpt-4o-mini'`);
      await t.app.get(CatalogService).update('openai/gpt-4o-mini', {});
    }
  });
});
