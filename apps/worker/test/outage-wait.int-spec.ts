// An item whose model server refuses connections waits for it instead of failing: its delivery completes, a
// delayed entry in the fair queue takes its place, its attempt is given back, and the job says it waits — until the job's
// patience runs out, when it fails saying why.
import { getQueueToken } from '@nestjs/bull';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ItemRunner } from '@margin/analysis';
import { QUEUES } from '@margin/contracts';
import { ManualClock, REDIS } from '@margin/core';
import { ProviderRegistry } from '@margin/providers';
import { makeTenant, testConfig } from '@margin/testing';
import type { Queue } from 'bull';
import IORedis from 'ioredis';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { DataSource } from 'typeorm';

import { WorkerModule } from '../src/worker.module';

/** A port nothing listens on: connections to it are refused. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('items wait out a model server that refuses connections', () => {
  let app: INestApplicationContext;
  let db: DataSource;
  let queue: Queue;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    const config = testConfig({ WORKER_CONCURRENCY: '1' });
    const redis = new IORedis(config.redisUrl);
    await redis.flushdb();
    redis.disconnect();
    app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, { clock }), { logger: false });
    await app.init();
    db = app.get(DataSource);
    queue = app.get<Queue>(getQueueToken(QUEUES.analysis));
    await queue.pause(true); // this process must not run the entries it is inspecting
    await db.query(
      `INSERT INTO providers (id, kind, name, base_url, managed_by) VALUES ('ollama', 'ollama', 'Ollama', $1, 'env')
       ON CONFLICT (id) DO UPDATE SET base_url = EXCLUDED.base_url, enabled = true`,
      [`http://127.0.0.1:${await deadPort()}`],
    );
    await db.query(`UPDATE providers SET enabled = false WHERE id <> 'ollama'`);
    await app.get(ProviderRegistry).reload();
  });
  afterAll(() => app.close());

  /** The item's delayed entry in the fair queue (libs/analysis jobs/fair): its Bull id once due, its payload's spent attempts, when it is due. */
  const delayed = async (itemId: string) => {
    const redis = app.get<Redis>(REDIS);
    const [entry, due] = await Promise.all([redis.hget('margin:{fair}:items', itemId), redis.zscore('margin:{fair}:delayed', itemId)]);
    if (!entry || due === null) return null;
    const [tenantId, jobId, , , waits, spent] = entry.split('|');
    return { tenantId, jobId, queueId: `${itemId}:wait${waits}`, spentAttempts: Number(spent), dueInMs: Number(due) - Date.now() };
  };

  async function makeJob(maxWaitSeconds: number | null): Promise<{ tenantId: string; jobId: string; itemId: string }> {
    const tenant = await makeTenant(db);
    const jobId = randomUUID();
    const itemId = randomUUID();
    await db.query(
      `INSERT INTO jobs (id, tenant_id, profile_key, profile_version, status, priority, total_items, created_at, max_wait_seconds)
       VALUES ($1, $2, 'song-analysis', 1, 'queued', 'medium', 1, now(), $3)`,
      [jobId, tenant.id, maxWaitSeconds],
    );
    const input = { title: 'Amazing Grace', artist: 'John Newton', lyrics: 'Amazing grace, how sweet the sound' };
    await db.query(`INSERT INTO job_items (id, job_id, tenant_id, index, input, input_hash, status, enqueued) VALUES ($1, $2, $3, 0, $4, $5, 'queued', true)`, [
      itemId,
      jobId,
      tenant.id,
      JSON.stringify(input),
      randomUUID().replace(/-/g, '').padEnd(64, '0'),
    ]);
    return { tenantId: tenant.id, jobId, itemId };
  }

  const item = async (id: string) =>
    (await db.query(`SELECT status, attempts, waits, waiting_since IS NOT NULL AS waiting, error FROM job_items WHERE id = $1`, [id]))[0] as {
      status: string;
      attempts: number;
      waits: number;
      waiting: boolean;
      error: string | null;
    };

  it('is put back to run when the provider may be back, not failed, and its attempt is not spent', async () => {
    const { tenantId, jobId, itemId } = await makeJob(null);
    const runner = app.get(ItemRunner);
    // Refused again and again: more than the queue's 3 attempts, more than the circuit's 5 failures.
    for (let n = 0; n < 8; n++) {
      await runner.run({ tenantId, jobId, itemId }, { attemptsMade: 0, maxAttempts: 3 });
      expect(await item(itemId)).toMatchObject({ status: 'queued', attempts: 0, waits: n + 1, waiting: true, error: null });
      const entry = await delayed(itemId);
      expect(entry).toMatchObject({ tenantId, jobId, queueId: `${itemId}:wait${n + 1}`, spentAttempts: 0 });
      expect(entry?.dueInMs).toBeGreaterThan(0);
    }
    const [job] = await db.query(`SELECT status, failed_items, waiting_reason, waiting_until FROM jobs WHERE id = $1`, [jobId]);
    expect(job.status).toBe('running');
    expect(job.failed_items).toBe(0);
    // After five refusals the circuit is open: the item waits for it to half-open.
    expect(job.waiting_reason).toMatch(/ollama\/qwen3:8b: circuit open/);
    expect(new Date(job.waiting_until).getTime()).toBeGreaterThan(clock.now().getTime() + 20_000);
    // No attempt was booked twice: each refused call has an attempt id of its own.
    const [dupes] = await db.query(
      `SELECT count(*)::int AS n FROM (SELECT attempt_id FROM llm_calls WHERE item_id = $1 GROUP BY attempt_id HAVING count(*) > 1) d`,
      [itemId],
    );
    expect(dupes.n).toBe(0);
  });

  it('attempts the item failed on its own before it waited go with it: its next entry carries them', async () => {
    const { tenantId, jobId, itemId } = await makeJob(null);
    await app.get(ItemRunner).run({ tenantId, jobId, itemId }, { attemptsMade: 2, maxAttempts: 3 });
    expect((await item(itemId)).status).toBe('queued');
    expect(await delayed(itemId)).toMatchObject({ tenantId, jobId, queueId: `${itemId}:wait1`, spentAttempts: 2 });
  });

  it("past the job's patience the waiting item fails, saying why", async () => {
    const { tenantId, jobId, itemId } = await makeJob(60);
    const runner = app.get(ItemRunner);
    await runner.run({ tenantId, jobId, itemId }, { attemptsMade: 0, maxAttempts: 3 });
    expect((await item(itemId)).status).toBe('queued');
    clock.advance(61_000);
    await runner.run({ tenantId, jobId, itemId }, { attemptsMade: 0, maxAttempts: 3 });
    const after = await item(itemId);
    expect(after.status).toBe('failed');
    expect(after.error).toMatch(
      /^Gave up after waiting 61 s for a model provider to come back \(the job's maxWaitSeconds is 60\): .*ollama\/qwen3:8b: (unreachable|circuit)/,
    );
    const [job] = await db.query(`SELECT status, failed_items FROM jobs WHERE id = $1`, [jobId]);
    expect(job).toEqual({ status: 'failed', failed_items: 1 });
  });

  it("uses the tenant's default patience when the job has none", async () => {
    const { tenantId, jobId, itemId } = await makeJob(null);
    await db.query(`INSERT INTO job_settings (tenant_id, max_wait_seconds) VALUES ($1, 30)`, [tenantId]);
    const runner = app.get(ItemRunner);
    await runner.run({ tenantId, jobId, itemId }, { attemptsMade: 0, maxAttempts: 3 });
    clock.advance(31_000);
    await runner.run({ tenantId, jobId, itemId }, { attemptsMade: 0, maxAttempts: 3 });
    expect(await item(itemId)).toMatchObject({ status: 'failed', error: expect.stringContaining('maxWaitSeconds is 30') });
  });
});
