// Margin for the analysis-jobs benchmarks: a fresh `margin_bench_jobs` database, Redis db 10, the built API,
// N worker processes (the approach of e2e/support/cluster.ts) and the LLM emulator, all as separate processes
// in their own process groups (bench/lib/procs.mjs kills them at the end, on errors and on Ctrl-C).
import Bull from 'bull';
import pg from 'pg';
import { appMain } from './dist.mjs';
import { sleep, spawnNode } from './procs.mjs';
import { benchStack } from './stack.mjs';

export { removeSnapshot, snapshotDist } from './dist.mjs';

// the emulator is started the same way for every benchmark
export { startEmulator } from './emulator.mjs';

export const DATABASE_URL = process.env.BENCH_JOBS_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_bench_jobs';
export const REDIS_URL = process.env.BENCH_JOBS_REDIS_URL ?? 'redis://127.0.0.1:6379/10';
/** Bull's key prefix and the analysis queue's name and settings (libs/core queue.module.ts, libs/analysis analysis.module.ts). */
export const QUEUE_PREFIX = 'margin';
export const ANALYSIS_QUEUE = 'analysis';
export const ANALYSIS_QUEUE_SETTINGS = { lockDuration: 15_000, lockRenewTime: 5_000, stalledInterval: 5_000, maxStalledCount: 3 };
/** The model the default policy routes analyze/simple to (song-analysis's only step). */
export const SONG_MODEL = 'ollama/qwen3:8b';
/** Every model the emulator knows by default: each gets the bench's behaviour explicitly (their own defaults are slower). */
export const EMULATOR_MODELS = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'];

const WORKER_HEARTBEAT_PREFIX = 'margin:workers:';
const stack = benchStack({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, ownerEmail: 'bench-jobs-owner@margin.local' });
const OWNER = stack.owner;

/** An emulator configuration where every model behaves the same way. */
export function emulatorConfig(behaviour) {
  return { defaults: behaviour, models: EMULATOR_MODELS.map((name) => ({ name, ...behaviour })) };
}

export const { databaseName, dropDatabase, withRedis, flushRedis, startApi } = stack;
/** The environment of the API and the workers, pointed at the emulator at `emuUrl`. */
export const marginEnv = stack.env;
/** Fresh database (dropped and created), migrated, with the operator tenant's owner; Redis db flushed. */
export const prepareMargin = stack.prepare;

/** A pg client on the bench database (for reading item timestamps; the caller ends it). */
export async function dbClient() {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  // dropping the database at the end (or on Ctrl-C) terminates this connection: not an error worth crashing for
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Starts one worker process; resolves once its heartbeat is in Redis (its processors are registered by then). */
export async function startWorker(name, emuUrl, { concurrency, nodeArgs = [], extraEnv = {} }) {
  const proc = spawnNode(name, [...nodeArgs, appMain('worker')], { env: marginEnv(emuUrl, { WORKER_CONCURRENCY: String(concurrency), ...extraEnv }) });
  const deadline = Date.now() + 60_000;
  await withRedis(async (redis) => {
    for (;;) {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited (${proc.child.exitCode}) while starting:\n${proc.output()}`);
      const keys = await redis.keys(`${WORKER_HEARTBEAT_PREFIX}*`);
      const beats = keys.length ? await redis.mget(keys) : [];
      if (beats.some((b) => b && JSON.parse(b).pid === proc.pid)) return;
      if (Date.now() > deadline) throw new Error(`${name} did not announce itself within 60 s:\n${proc.output()}`);
      await sleep(100);
    }
  });
  return proc;
}

/** Margin's REST API as a client: JSON in and out; throws on unexpected statuses. */
export class MarginClient {
  constructor(url, headers = {}) {
    this.url = url;
    this.headers = headers;
  }

  async call(method, route, body, { expect = [200, 201, 202], headers = {} } = {}) {
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...this.headers, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!expect.includes(res.status)) throw new Error(`${method} ${route} → ${res.status}: ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : null;
  }

  /** The owner's session (JWT) and a new API key: {owner: MarginClient (JWT), integrator: MarginClient (API key), apiKey}. */
  static async session(url) {
    const anon = new MarginClient(url);
    const { accessToken } = await anon.call('POST', '/api/v1/auth/login', OWNER);
    const owner = new MarginClient(url, { authorization: `Bearer ${accessToken}` });
    const { key } = await owner.call('POST', '/api/v1/api-keys', { name: `bench-jobs-${Date.now()}` });
    return { owner, integrator: new MarginClient(url, { 'x-api-key': key }), apiKey: key, token: accessToken };
  }

  /** PUT /api/v1/router/models/:id (rpm/tpm/maxConcurrency: null = no limit) as the owner. */
  setModelLimits(limits, model = SONG_MODEL) {
    return this.call('PUT', `/api/v1/router/models/${encodeURIComponent(model)}`, limits);
  }
}

/** Bull's handle on Margin's analysis queue (same Redis, prefix and settings as the API and the workers). */
export function analysisQueue() {
  return new Bull(ANALYSIS_QUEUE, REDIS_URL, { prefix: QUEUE_PREFIX, settings: ANALYSIS_QUEUE_SETTINGS });
}

/** The fair queue's keys in Redis (libs/analysis jobs/fair/fair-scripts.ts): the items waiting their turn in front of Bull. */
const FAIR_KEYS = 'margin:{fair}:*';

/**
 * Removes every job from the analysis queue (after a benchmark cancelled its job), and the fair queue's state in
 * front of it (its places in Bull would otherwise stay taken by the removed jobs), so the next one starts empty.
 */
export async function emptyAnalysisQueue() {
  const queue = analysisQueue();
  try {
    await queue.isReady();
    await queue.obliterate({ force: true, count: 5000 });
  } finally {
    await queue.close();
  }
  await withRedis(async (redis) => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', FAIR_KEYS, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  });
}

/** Analysis-queue counts (waiting, active, delayed, failed…). */
export async function analysisQueueCounts() {
  const queue = analysisQueue();
  try {
    await queue.isReady();
    return await queue.getJobCounts();
  } finally {
    await queue.close();
  }
}
