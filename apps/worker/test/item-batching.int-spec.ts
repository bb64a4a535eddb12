// The worker's batched writes against the real database: item completions and job counters, and the ledger.
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JobsRepository } from '@margin/analysis';
import { LedgerService } from '@margin/cost-tracking';
import { ManualClock } from '@margin/core';
import { makeTenant, testConfig } from '@margin/testing';
import IORedis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { WorkerModule } from '../src/worker.module';

describe('worker batched writes', () => {
  let app: INestApplicationContext;
  let db: DataSource;
  let repo: JobsRepository;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    const config = testConfig({ WORKER_CONCURRENCY: '1' });
    const redis = new IORedis(config.redisUrl);
    await redis.flushdb();
    redis.disconnect();
    app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, { clock }), { logger: false });
    await app.init();
    db = app.get(DataSource);
    repo = app.get(JobsRepository);
  });
  afterAll(() => app.close());

  async function makeJob(items: number): Promise<{ tenantId: string; jobId: string; itemIds: string[] }> {
    const tenant = await makeTenant(db);
    const jobId = randomUUID();
    await db.query(
      `INSERT INTO jobs (id, tenant_id, profile_key, profile_version, status, priority, total_items, created_at) VALUES ($1, $2, 'song-analysis', 1, 'queued', 'medium', $3, now())`,
      [jobId, tenant.id, items],
    );
    const itemIds = Array.from({ length: items }, () => randomUUID());
    for (const [i, id] of itemIds.entries()) {
      await db.query(`INSERT INTO job_items (id, job_id, tenant_id, index, input, input_hash, status) VALUES ($1, $2, $3, $4, '{"n": 1}', $5, 'queued')`, [
        id,
        jobId,
        tenant.id,
        i,
        'h'.repeat(64),
      ]);
    }
    return { tenantId: tenant.id, jobId, itemIds };
  }

  const counters = async (jobId: string) =>
    (
      await db.query(
        `SELECT status, completed_items, failed_items, cancelled_items, cached_items, cost_usd::text AS cost, finished_at IS NOT NULL AS finished FROM jobs WHERE id = $1`,
        [jobId],
      )
    )[0];

  it('claims an item in one statement: the item and the job run, the attempt is counted; a final item is not claimed', async () => {
    const { tenantId, jobId, itemIds } = await makeJob(2);
    const claimed = await repo.claimItem(tenantId, jobId, itemIds[0] as string, clock.now());
    expect(claimed).toMatchObject({
      job: { status: 'running', profileKey: 'song-analysis', profileVersion: 1 },
      item: { index: 0, status: 'queued' },
      run: { input: { n: 1 } },
    });
    const [row] = await db.query(`SELECT status, attempts FROM job_items WHERE id = $1`, [itemIds[0]]);
    expect(row).toEqual({ status: 'running', attempts: 1 });
    expect((await counters(jobId)).status).toBe('running');
    await repo.finishItem(tenantId, jobId, itemIds[0] as string, { status: 'completed', result: { ok: true }, costUsd: '0.5', at: clock.now() });
    const again = await repo.claimItem(tenantId, jobId, itemIds[0] as string, clock.now());
    expect(again?.item?.status).toBe('completed');
    expect(again?.run).toBeNull();
    // Another tenant sees nothing.
    expect(await repo.claimItem(randomUUID(), jobId, itemIds[1] as string, clock.now())).toBeNull();
  });

  it('a failed item re-queued by a job retry runs as a new queue entry: its calls get attempt ids of their own (waits + 1)', async () => {
    const { tenantId, jobId, itemIds } = await makeJob(1);
    const item = itemIds[0] as string;
    const first = await repo.claimItem(tenantId, jobId, item, clock.now());
    expect(first?.run).toMatchObject({ attempts: 1, waits: 0 });
    await repo.finishItem(tenantId, jobId, item, { status: 'failed', error: 'invalid output', at: clock.now() });
    expect(await repo.requeueFailed(tenantId, jobId)).toEqual([item]);
    const again = await repo.claimItem(tenantId, jobId, item, clock.now());
    // the item runner derives ledger attempt ids from waits: `<item>:w1.<delivery>`, not the first run's `<item>:<delivery>`
    expect(again?.run).toMatchObject({ attempts: 2, waits: 1 });
  });

  it('a cancelled job: its open item is not claimed (no run), so it can be finished as cancelled', async () => {
    const { tenantId, jobId, itemIds } = await makeJob(1);
    await db.query(`UPDATE job_items SET status = 'running' WHERE id = $1`, [itemIds[0]]);
    await db.query(`UPDATE jobs SET status = 'cancelled' WHERE id = $1`, [jobId]);
    const claimed = await repo.claimItem(tenantId, jobId, itemIds[0] as string, clock.now());
    expect(claimed).toMatchObject({ job: { status: 'cancelled' }, item: { status: 'running' }, run: null });
  });

  it('200 concurrent completions of one job count exactly once each, close the job once, and replays count nothing', async () => {
    const { tenantId, jobId, itemIds } = await makeJob(200);
    for (const id of itemIds) await repo.claimItem(tenantId, jobId, id, clock.now());
    const finish = (id: string, i: number) =>
      repo.finishItem(tenantId, jobId, id, {
        status: i % 10 === 0 ? 'failed' : 'completed',
        cached: i % 4 === 1,
        costUsd: '0.000001000001',
        error: null,
        result: { i },
        at: clock.now(),
      });
    const outcomes = await Promise.all(itemIds.map(finish));
    expect(outcomes.filter((o) => o.changed)).toHaveLength(200);
    expect(outcomes.filter((o) => o.finished)).toHaveLength(1);
    expect(outcomes.find((o) => o.finished)?.job).toMatchObject({ status: 'completed_with_errors', completedItems: 180, failedItems: 20, totalItems: 200 });
    expect(await counters(jobId)).toEqual({
      status: 'completed_with_errors',
      completed_items: 180,
      failed_items: 20,
      cancelled_items: 0,
      cached_items: 50,
      cost: '0.000200000200',
      finished: true,
    });
    // A replayed delivery (the same items again, concurrently, one twice in the same batch) changes nothing.
    const replays = await Promise.all([...itemIds.slice(0, 20), itemIds[0] as string].map(finish));
    expect(replays.every((o) => !o.changed && !o.finished)).toBe(true);
    expect((await counters(jobId)).completed_items).toBe(180);
    const results = await db.query(`SELECT count(*)::int AS n FROM job_items WHERE job_id = $1 AND result IS NOT NULL AND finished_at IS NOT NULL`, [jobId]);
    expect(results[0].n).toBe(200);
  });

  it('a batch that cannot be written rejects its callers and leaves their items open and uncounted; a retry then counts them', async () => {
    const { tenantId, jobId, itemIds } = await makeJob(3);
    for (const id of itemIds) await repo.claimItem(tenantId, jobId, id, clock.now());
    // One bad row fails the whole statement of its job: nothing of it is written.
    const settled = await Promise.allSettled(
      itemIds.map((id, i) => repo.finishItem(tenantId, jobId, id, { status: 'completed', costUsd: i === 1 ? 'not-a-number' : '0', at: clock.now() })),
    );
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const open = await db.query(`SELECT count(*)::int AS n FROM job_items WHERE job_id = $1 AND status = 'running'`, [jobId]);
    expect(open[0].n).toBe(3);
    expect((await counters(jobId)).completed_items).toBe(0);
    const retried = await Promise.all(itemIds.map((id) => repo.finishItem(tenantId, jobId, id, { status: 'completed', costUsd: '0', at: clock.now() })));
    expect(retried.filter((o) => o.changed)).toHaveLength(3);
    expect(await counters(jobId)).toMatchObject({ status: 'completed', completed_items: 3, finished: true });
  });

  it('items of different jobs in one batch each count in their own job', async () => {
    const a = await makeJob(2);
    const b = await makeJob(1);
    const all = [...a.itemIds.map((id) => ({ ...a, id })), ...b.itemIds.map((id) => ({ ...b, id }))];
    for (const x of all) await repo.claimItem(x.tenantId, x.jobId, x.id, clock.now());
    const outcomes = await Promise.all(all.map((x) => repo.finishItem(x.tenantId, x.jobId, x.id, { status: 'completed', at: clock.now() })));
    expect(outcomes.map((o) => o.finished)).toEqual([false, true, true]);
    expect((await counters(a.jobId)).completed_items).toBe(2);
    expect((await counters(b.jobId)).completed_items).toBe(1);
  });

  it('the ledger books each attempt once under batching: concurrent duplicates and replays are refused', async () => {
    const ledger = app.get(LedgerService);
    const tenant = await makeTenant(db);
    const prefix = randomUUID();
    const entry = (n: number) => ({
      attemptId: `${prefix}:${n}`,
      tenantId: tenant.id,
      operation: 'analyze',
      providerId: 'ollama',
      modelId: 'ollama/qwen3:8b',
      usage: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, reasoningTokens: 0 },
      costPico: 1_000_000n,
      latencyMs: 3,
      outcome: 'success',
      at: clock.now(),
    });
    // 50 attempts, each sent twice at once (a replayed delivery racing the first).
    const booked = await Promise.all(Array.from({ length: 100 }, (_, i) => ledger.record(entry(i % 50))));
    expect(booked.filter(Boolean)).toHaveLength(50);
    expect(await ledger.record(entry(7))).toBe(false);
    const rows = await db.query(
      `SELECT count(*)::int AS n, count(DISTINCT attempt_id)::int AS d, sum(cost_usd)::text AS cost FROM llm_calls WHERE attempt_id LIKE $1`,
      [`${prefix}:%`],
    );
    expect(rows[0]).toEqual({ n: 50, d: 50, cost: '0.000050000000' });
  });
});
