// One Margin stack for a benchmark: its own database and Redis db, the environment the built apps run with, the
// database prepared from scratch (migrated, with the operator tenant's owner) and the API started. The gateway
// and limiter benches (lib/margin.mjs) and the jobs benches (lib/jobs-cluster.mjs) each make one.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import pg from 'pg';
import { appMain } from './dist.mjs';
import { freePort, ROOT, sleep, spawnNode } from './procs.mjs';

/** `databaseUrl` / `redisUrl`: the stack's own (dropped / flushed by it); `owner`: the operator's credentials. */
export function benchStack({ databaseUrl, redisUrl, ownerEmail }) {
  const owner = { email: ownerEmail, password: `Bench-${randomBytes(18).toString('base64url')}` };
  const secrets = { JWT_SECRET: randomBytes(48).toString('base64url'), ENCRYPTION_KEY: randomBytes(32).toString('base64') };

  function databaseName() {
    const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name "${name}"`);
    return name;
  }

  async function adminQuery(sql) {
    const u = new URL(databaseUrl);
    u.pathname = '/postgres';
    const client = new pg.Client({ connectionString: u.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  /** Runs `fn` with a Redis connection to the stack's db. */
  async function withRedis(fn) {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    await redis.connect();
    try {
      return await fn(redis);
    } finally {
      redis.disconnect();
    }
  }

  const flushRedis = () => withRedis((r) => r.flushdb());

  async function recreateDatabase() {
    const name = databaseName();
    await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await adminQuery(`CREATE DATABASE "${name}"`);
  }

  const dropDatabase = () => adminQuery(`DROP DATABASE IF EXISTS "${databaseName()}" WITH (FORCE)`);

  /** The environment of the API and the workers, pointed at the emulator at `emuUrl`. */
  function env(emuUrl, extra = {}) {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      ...secrets,
      OLLAMA_BASE_URL: emuUrl,
      OPENAI_BASE_URL: `${emuUrl}/v1`,
      OPENAI_API_KEY: 'emulator',
      ANTHROPIC_BASE_URL: emuUrl,
      ANTHROPIC_API_KEY: 'emulator',
      ADMIN_EMAIL: owner.email,
      ADMIN_PASSWORD: owner.password,
      ADMIN_DIST_DIR: '/nonexistent-admin-dist',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '100000000',
      HOST: '127.0.0.1',
      // V8/Node flags for the Margin processes under test (e.g. a heap setting being evaluated)
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
      ...extra,
    };
  }

  function cli(command, cliEnv) {
    const r = spawnSync(process.execPath, [appMain('cli'), command], { cwd: ROOT, env: cliEnv, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`cli ${command} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }

  /** Fresh database (dropped and created), migrated, with the operator tenant's owner; Redis db flushed. */
  async function prepare(emuUrl) {
    await recreateDatabase();
    await flushRedis();
    const e = env(emuUrl);
    cli('migrate', e);
    cli('ensure-owner', e);
  }

  /** Starts one API process; resolves once it answers HTTP. `nodeArgs` go before the script (e.g. --import). */
  async function startApi(name, emuUrl, { nodeArgs = [], extraEnv = {} } = {}) {
    const port = await freePort();
    const proc = spawnNode(name, [...nodeArgs, appMain('api')], { env: env(emuUrl, { PORT: String(port), ...extraEnv }) });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited (${proc.child.exitCode}) while starting:\n${proc.output()}`);
      try {
        await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
        break; // any HTTP answer (a 503 without workers included) means it listens
      } catch {
        if (Date.now() > deadline) throw new Error(`${name} did not answer within 60 s:\n${proc.output()}`);
        await sleep(150);
      }
    }
    return { proc, url, port };
  }

  return { owner, databaseName, withRedis, flushRedis, dropDatabase, env, prepare, startApi };
}
