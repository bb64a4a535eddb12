// Margin's API for the benchmarks: a fresh `margin_bench` database, Redis db 12, the built API (one or more
// instances) pointed at an emulator, an owner session and an API key.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pg from 'pg';
import { appMain } from './dist.mjs';
import { freePort, ROOT, sleep, spawnNode } from './procs.mjs';


export const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_bench';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
export const BENCH_MODEL = 'openai/gpt-4o-mini';

const OWNER_EMAIL = 'bench-owner@margin.local';
const OWNER_PASSWORD = `Bench-${randomBytes(18).toString('base64url')}`;
const SECRETS = { JWT_SECRET: randomBytes(48).toString('base64url'), ENCRYPTION_KEY: randomBytes(32).toString('base64') };

function databaseName() {
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

export async function recreateDatabase() {
  const name = databaseName();
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE "${name}"`);
}

export async function dropDatabase() {
  await adminQuery(`DROP DATABASE IF EXISTS "${databaseName()}" WITH (FORCE)`);
}

/** Runs `fn` with a Redis connection to the bench database (db 12). */
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

/** Deletes the global rate limiter's state (keys margin:rl:*) so that every bucket starts full. */
export const clearLimiterState = () =>
  withRedis(async (r) => {
    const keys = await r.keys('margin:rl:*');
    if (keys.length) await r.del(...keys);
    return keys.length;
  });

/** The environment of an API process pointed at the emulator at `emuUrl`. */
export function apiEnv(emuUrl, port) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    DATABASE_URL,
    REDIS_URL,
    ...SECRETS,
    OPENAI_BASE_URL: `${emuUrl}/v1`,
    OPENAI_API_KEY: 'x',
    ANTHROPIC_BASE_URL: emuUrl,
    ANTHROPIC_API_KEY: 'x',
    OLLAMA_BASE_URL: emuUrl,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '100000000',
    ADMIN_EMAIL: OWNER_EMAIL,
    ADMIN_PASSWORD: OWNER_PASSWORD,
    ADMIN_DIST_DIR: '/nonexistent-admin-dist',
    HOST: '127.0.0.1',
    PORT: String(port ?? 0),
  };
}

function cli(command, env) {
  const r = spawnSync(process.execPath, [appMain('cli'), command], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`cli ${command} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

/** Fresh database, migrated, with the operator tenant's owner. */
export async function prepareMargin(emuUrl) {
  await recreateDatabase();
  await flushRedis();
  const env = apiEnv(emuUrl);
  cli('migrate', env);
  cli('ensure-owner', env);
}

/** Starts one API process; resolves once it answers HTTP. `nodeArgs` go before the script (e.g. --import). */
export async function startApi(name, emuUrl, { nodeArgs = [], extraEnv = {} } = {}) {
  const port = await freePort();
  const proc = spawnNode(name, [...nodeArgs, appMain('api')], { env: { ...apiEnv(emuUrl, port), ...extraEnv } });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`${name} exited (${proc.child.exitCode}) while starting:\n${proc.output()}`);
    try {
      await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      break; // any HTTP answer (a 503 without workers included) means it listens
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} did not answer within 60 s:\n${proc.output()}`);
      await sleep(200);
    }
  }
  return { proc, url, port };
}

async function call(url, method, path, { token, body } = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/** Logs the owner in, creates an API key; returns {token, apiKey}. */
export async function ownerSession(url) {
  const { accessToken } = await call(url, 'POST', '/api/v1/auth/login', { body: { email: OWNER_EMAIL, password: OWNER_PASSWORD } });
  const created = await call(url, 'POST', '/api/v1/api-keys', { token: accessToken, body: { name: `bench-${Date.now()}` } });
  return { token: accessToken, apiKey: created.key };
}

/** PUT /api/v1/router/models/<id> as the owner (rpm/tpm/maxConcurrency: null = no limit). */
export function setModelLimits(url, token, limits, model = BENCH_MODEL) {
  return call(url, 'PUT', `/api/v1/router/models/${encodeURIComponent(model)}`, { token, body: limits });
}

export function getModel(url, token, model = BENCH_MODEL) {
  return call(url, 'GET', `/api/v1/router/models/${encodeURIComponent(model)}`, { token });
}
