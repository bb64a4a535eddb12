import { getQueueToken } from '@nestjs/bull';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JobFeeder, QueueReconciler } from '@margin/analysis';
import { QUEUES, WORKER_HEARTBEAT_PREFIX } from '@margin/contracts';
import { ManualClock, REDIS } from '@margin/core';
import { makeTenant, testConfig } from '@margin/testing';
import type { Queue } from 'bull';
import IORedis from 'ioredis';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { WorkerModule } from '../src/worker.module';

describe('worker process', () => {
  let app: INestApplicationContext;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    const config = testConfig({ WORKER_CONCURRENCY: '1' });
    const redis = new IORedis(config.redisUrl);
    await redis.flushdb();
    redis.disconnect();
    // No model server here: items the worker picked up would fail; these tests only look at the queue.
    app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, { clock }), { logger: false });
    await app.init();
  });
  afterAll(() => app.close());

  it('announces itself with a heartbeat (what /health counts): its queues and concurrency', async () => {
    const redis = app.get<Redis>(REDIS);
    const keys = await redis.keys(`${WORKER_HEARTBEAT_PREFIX}*`);
    expect(keys).toHaveLength(1);
    const beat = JSON.parse((await redis.get(keys[0] as string)) ?? '{}');
    expect(beat).toMatchObject({ pid: process.pid, queues: ['maintenance', 'analysis', 'publishing', 'metrics'], concurrency: 1 });
    expect(await redis.ttl(keys[0] as string)).toBeGreaterThan(0);
  });

  it('hands the items of a job that was committed but never reached the queue to it, once', async () => {
    const db = app.get(DataSource);
    const tenant = await makeTenant(db);
    const jobId = randomUUID();
    const created = new Date(clock.now().getTime() - 5 * 60_000);
    await db.query(
      `INSERT INTO jobs (id, tenant_id, profile_key, profile_version, status, priority, total_items, created_at) VALUES ($1, $2, 'song-analysis', 1, 'queued', 'medium', 2, $3)`,
      [jobId, tenant.id, created],
    );
    const items = [randomUUID(), randomUUID()];
    for (const [i, id] of items.entries()) {
      await db.query(`INSERT INTO job_items (id, job_id, tenant_id, index, input, input_hash, status) VALUES ($1, $2, $3, $4, '{}', $5, 'queued')`, [
        id,
        jobId,
        tenant.id,
        i,
        'h'.repeat(64),
      ]);
    }
    const queue = app.get<Queue>(getQueueToken(QUEUES.analysis));
    await queue.pause(true); // keep them in the queue so the test can see them
    expect(await app.get(QueueReconciler).sweep()).toBe(2);
    // Held by the fair queue (in Bull, or next in line while other open jobs fill the lookahead).
    expect((await app.get<Redis>(REDIS).hmget('margin:{fair}:items', ...items)).every((e) => e !== null)).toBe(true);
    // A second sweep within the recheck window does nothing, and adding again never duplicates.
    expect(await app.get(QueueReconciler).sweep()).toBe(0);
    expect(await app.get(JobFeeder).outstanding(jobId)).toBe(2);
    await queue.resume(true);
  });

  it('re-sends, once, the items Postgres handed to the queue that Redis lost (a restart without its data)', async () => {
    const db = app.get(DataSource);
    const tenant = await makeTenant(db);
    const jobId = randomUUID();
    await db.query(
      `INSERT INTO jobs (id, tenant_id, profile_key, profile_version, status, priority, total_items, created_at) VALUES ($1, $2, 'song-analysis', 1, 'running', 'medium', 3, $3)`,
      [jobId, tenant.id, new Date(clock.now().getTime() - 5 * 60_000)],
    );
    const items = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, id] of items.entries()) {
      // Handed over (enqueued) long ago; one already finished.
      await db.query(`INSERT INTO job_items (id, job_id, tenant_id, index, input, input_hash, status, enqueued) VALUES ($1, $2, $3, $4, '{}', $5, $6, true)`, [
        id,
        jobId,
        tenant.id,
        i,
        'h'.repeat(64),
        i === 2 ? 'completed' : 'queued',
      ]);
    }
    const queue = app.get<Queue>(getQueueToken(QUEUES.analysis));
    await queue.pause(true);
    try {
      expect(await app.get(QueueReconciler).sweep()).toBe(2);
      // Held by the fair queue again (in Bull or next in line, as the lookahead allows); the finished one not.
      const held = await app.get<Redis>(REDIS).hmget('margin:{fair}:items', ...items);
      expect(held.map((e) => e !== null)).toEqual([true, true, false]);
      expect(await app.get(QueueReconciler).sweep()).toBe(0);
    } finally {
      await queue.resume(true);
    }
  });
});
