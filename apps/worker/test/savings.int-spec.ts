// Savings that tell the truth (docs/metrics.md, "Savings"): a job of requested songs, most of them repeats, all
// analyzed on a local model for $0, saves what the premium counterfactual (the analyze operation's premium
// candidate, claude-sonnet-4-5 at $3 / $15 per million tokens) would have cost for each call's actual tokens —
// once per call for the songs it ran, and the same again for every cache hit. The job, the costs summary (what the
// KPIs' savedUsd is) and the daily roll-up say the same, exactly, and a replayed delivery books nothing twice.
import { getQueueToken } from '@nestjs/bull';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ItemRunner } from '@margin/analysis';
import { QUEUES } from '@margin/contracts';
import { LedgerService } from '@margin/cost-tracking';
import { ManualClock, picoToDecimal, picoToUsd, usdToPico } from '@margin/core';
import { RollupService } from '@margin/metrics';
import { ProviderRegistry } from '@margin/providers';
import { makeTenant, startEmulator, testConfig, type RunningEmulator } from '@margin/testing';
import type { Queue } from 'bull';
import IORedis from 'ioredis';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { WorkerModule } from '../src/worker.module';

// The 800 / 334 / 466 workload at 1/25 scale: 32 requested songs, 13 distinct, 19 cache hits.
const DISTINCT = 13;
const REQUESTED = 32;
/** claude-sonnet-4-5's list price in force (catalog seed): pico-dollars per token. */
const PREMIUM_IN = 3_000_000n;
const PREMIUM_OUT = 15_000_000n;

describe('savings: cache hits and local routing credit the premium counterfactual', () => {
  let emu: RunningEmulator;
  let app: INestApplicationContext;
  let db: DataSource;
  const clock = new ManualClock(new Date());

  beforeAll(async () => {
    emu = await startEmulator();
    const config = testConfig({ ...emu.env, WORKER_CONCURRENCY: '1' });
    const redis = new IORedis(config.redisUrl);
    await redis.flushdb();
    redis.disconnect();
    app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, { clock }), { logger: false, abortOnError: false });
    await app.init();
    db = app.get(DataSource);
    await app.get<Queue>(getQueueToken(QUEUES.analysis)).pause(true); // the test runs the items itself, in order
    await db.query(
      `INSERT INTO providers (id, kind, name, base_url, managed_by) VALUES ('ollama', 'ollama', 'Ollama', $1, 'env')
       ON CONFLICT (id) DO UPDATE SET base_url = EXCLUDED.base_url, enabled = true`,
      [emu.url],
    );
    await app.get(ProviderRegistry).reload();
  });
  afterAll(async () => {
    await app.close();
    await emu.close();
  });

  it('a job of 32 songs (13 distinct, 19 hits) on a local model saves the premium cost of every call, in the job, the summary and the roll-up', async () => {
    const tenant = await makeTenant(db);
    const jobId = randomUUID();
    const run = randomUUID();
    const songs = Array.from({ length: DISTINCT }, (_, i) => ({
      title: `Song ${i} ${run}`,
      artist: `Artist ${i}`,
      lyrics: `Verse ${i}: ${'la '.repeat(5 + 3 * i)}\nChorus ${run}`,
    }));
    // every distinct song at least once, then repeats: song i asked for (i % 3) + 1 times, the rest of the 32 as song 0
    const requested: number[] = songs.map((_, i) => i);
    for (let i = 0; requested.length < REQUESTED; i = (i + 1) % DISTINCT) if (i % 3 !== 0 || i === 0) requested.push(i);
    expect(requested).toHaveLength(REQUESTED);
    const hash = (i: number) => createHash('sha256').update(JSON.stringify(songs[i])).digest('hex');
    await db.query(
      `INSERT INTO jobs (id, tenant_id, profile_key, profile_version, status, priority, total_items, created_at) VALUES ($1, $2, 'song-analysis', 1, 'queued', 'medium', $3, $4)`,
      [jobId, tenant.id, REQUESTED, clock.now()],
    );
    const items: string[] = [];
    for (const [index, song] of requested.entries()) {
      const id = randomUUID();
      items.push(id);
      await db.query(
        `INSERT INTO job_items (id, job_id, tenant_id, index, input, input_hash, status, enqueued) VALUES ($1, $2, $3, $4, $5, $6, 'queued', true)`,
        [id, jobId, tenant.id, index, JSON.stringify(songs[song]), hash(song)],
      );
    }
    const runner = app.get(ItemRunner);
    for (const itemId of items) await runner.run({ tenantId: tenant.id, jobId, itemId }, { attemptsMade: 0, maxAttempts: 3 });

    const [job] = await db.query(`SELECT status, completed_items, cached_items, cost_usd::text AS cost, saved_usd::text AS saved FROM jobs WHERE id = $1`, [
      jobId,
    ]);
    expect(job).toMatchObject({ status: 'completed', completed_items: REQUESTED, cached_items: REQUESTED - DISTINCT });
    expect(usdToPico(job.cost)).toBe(0n);

    // one call per distinct song, on the local model, priced $0; its counterfactual priced from its own tokens
    const calls = (await db.query(
      `SELECT c.item_id, i.input_hash, c.model_id, c.cost_usd::text AS cost, c.premium_model_id, c.premium_cost_usd::text AS premium,
              c.input_tokens, c.cached_input_tokens, c.output_tokens
         FROM llm_calls c JOIN job_items i ON i.id = c.item_id WHERE c.job_id = $1 AND c.outcome = 'success'`,
      [jobId],
    )) as Array<{
      input_hash: string;
      model_id: string;
      cost: string;
      premium_model_id: string;
      premium: string;
      input_tokens: number;
      cached_input_tokens: number;
      output_tokens: number;
    }>;
    expect(calls).toHaveLength(DISTINCT);
    const premiumOf = new Map<string, bigint>();
    for (const c of calls) {
      expect(c).toMatchObject({ model_id: 'ollama/qwen3:8b', premium_model_id: 'anthropic/claude-sonnet-4-5' });
      expect(usdToPico(c.cost)).toBe(0n);
      expect(c.cached_input_tokens).toBe(0);
      const premium = BigInt(c.input_tokens) * PREMIUM_IN + BigInt(c.output_tokens) * PREMIUM_OUT;
      expect(usdToPico(c.premium)).toBe(premium);
      premiumOf.set(c.input_hash, premium);
    }
    // what each requested song would have cost on the premium model: each distinct one's call, once per request
    const expected = requested.reduce((sum, i) => sum + (premiumOf.get(hash(i)) ?? -1_000_000_000_000n), 0n);
    expect(expected).toBeGreaterThan(0n);
    expect(usdToPico(job.saved)).toBe(expected);

    // hits booked as cache savings, once per item; the runs as routing savings, once per call
    const [cache] = await db.query(`SELECT count(*)::int AS n, coalesce(sum(amount_usd), 0)::text AS total FROM cost_savings WHERE job_id = $1`, [jobId]);
    expect(cache.n).toBe(REQUESTED - DISTINCT);
    const routing = [...premiumOf.values()].reduce((a, b) => a + b, 0n);
    expect(usdToPico(cache.total)).toBe(expected - routing);

    const from = new Date(clock.now().getTime() - 3_600_000);
    const to = new Date(clock.now().getTime() + 1);
    const summary = await app.get(LedgerService).summary(tenant.id, { from, to });
    expect(summary.totalUsd).toBe(0);
    expect(summary.savedUsd).toBe(picoToUsd(expected));
    expect(summary.savedByRoutingUsd).toBe(picoToUsd(routing));

    // a replayed delivery of every item books nothing again
    for (const itemId of items) await runner.run({ tenantId: tenant.id, jobId, itemId }, { attemptsMade: 0, maxAttempts: 3 });
    expect((await app.get(LedgerService).summary(tenant.id, { from, to })).savedUsd).toBe(picoToUsd(expected));
    const [again] = await db.query(`SELECT saved_usd::text AS saved FROM jobs WHERE id = $1`, [jobId]);
    expect(usdToPico(again.saved)).toBe(expected);

    // the day's roll-up (what settled days of the time series and KPIs read) holds the same savings, exactly
    const day = clock.now().toISOString().slice(0, 10);
    await app.get(RollupService).rollupDay(day);
    const [rolled] = await db.query(`SELECT saved_usd::text AS saved FROM daily_metrics WHERE tenant_id = $1 AND day = $2`, [tenant.id, day]);
    expect(picoToDecimal(usdToPico(rolled.saved))).toBe(picoToDecimal(expected));
  });
});
