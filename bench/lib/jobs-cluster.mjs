// Margin for the analysis-jobs benchmarks: a fresh `margin_bench_jobs` database, Redis db 10, the built API,
// N worker processes (the approach of e2e/support/cluster.ts) and the LLM emulator, all as separate processes
// in their own process groups (bench/lib/procs.mjs kills them at the end, on errors and on Ctrl-C).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Bull from 'bull';
import Redis from 'ioredis';
import pg from 'pg';
import { appMain } from './dist.mjs';
import { freePort, ROOT, sleep, spawnNode } from './procs.mjs';

export { removeSnapshot, snapshotDist } from './dist.mjs';
const main = appMain;

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
const OWNER = { email: 'bench-jobs-owner@margin.local', password: `Bench-${randomBytes(18).toString('base64url')}` };
const SECRETS = { JWT_SECRET: randomBytes(48).toString('base64url'), ENCRYPTION_KEY: randomBytes(32).toString('base64') };

/** An emulator configuration where every model behaves the same way. */
export function emulatorConfig(behaviour) {
  return { defaults: behaviour, models: EMULATOR_MODELS.map((name) => ({ name, ...behaviour })) };
}

export function databaseName() {
  const name = decodeURIComponent(new URL(DATABASE_URL).pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name "${name}"`);
  return name;
}

async function adminQuery(sql) {
  const u = new URL(DATABASE_URL);
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function dropDatabase() {
  await adminQuery(`DROP DATABASE IF EXISTS "${databaseName()}" WITH (FORCE)`);
}

export async function withRedis(fn) {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

export const flushRedis = () => withRedis((r) => r.flushdb());

/** A pg client on the bench database (for reading item timestamps; the caller ends it). */
export async function dbClient() {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  // dropping the database at the end (or on Ctrl-C) terminates this connection: not an error worth crashing for
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The environment of the API and the workers, pointed at the emulator at `emuUrl`. */
export function marginEnv(emuUrl, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    DATABASE_URL,
    REDIS_URL,
    ...SECRETS,
    OLLAMA_BASE_URL: emuUrl,
    OPENAI_BASE_URL: `${emuUrl}/v1`,
    OPENAI_API_KEY: 'emulator',
    ANTHROPIC_BASE_URL: emuUrl,
    ANTHROPIC_API_KEY: 'emulator',
    ADMIN_EMAIL: OWNER.email,
    ADMIN_PASSWORD: OWNER.password,
    ADMIN_DIST_DIR: '/nonexistent-admin-dist',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '100000000',
    HOST: '127.0.0.1',
    ...extra,
  };
}

function cli(command, env) {
  const r = spawnSync(process.execPath, [main('cli'), command], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`cli ${command} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** Fresh database (dropped and created), migrated, with the operator tenant's owner; Redis db flushed. */
export async function prepareMargin(emuUrl) {
  const name = databaseName();
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE "${name}"`);
  await flushRedis();
  const env = marginEnv(emuUrl);
  cli('migrate', env);
  cli('ensure-owner', env);
}

/** Starts the built API; resolves once it answers HTTP. */
export async function startApi(name, emuUrl, { nodeArgs = [], extraEnv = {} } = {}) {
  const port = await freePort();
  const proc = spawnNode(name, [...nodeArgs, main('api')], { env: marginEnv(emuUrl, { PORT: String(port), ...extraEnv }) });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`${name} exited (${proc.child.exitCode}) while starting:\n${proc.output()}`);
    try {
      await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      break; // any HTTP answer means it listens
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} did not answer within 60 s:\n${proc.output()}`);
      await sleep(150);
    }
  }
  return { proc, url, port };
}

/** Starts one worker process; resolves once its heartbeat is in Redis (its processors are registered by then). */
export async function startWorker(name, emuUrl, { concurrency, nodeArgs = [], extraEnv = {} }) {
  const proc = spawnNode(name, [...nodeArgs, main('worker')], { env: marginEnv(emuUrl, { WORKER_CONCURRENCY: String(concurrency), ...extraEnv }) });
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

/** Removes every job from the analysis queue (after a benchmark cancelled its job), so the next one starts empty. */
export async function emptyAnalysisQueue() {
  const queue = analysisQueue();
  try {
    await queue.isReady();
    await queue.obliterate({ force: true, count: 5000 });
  } finally {
    await queue.close();
  }
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
