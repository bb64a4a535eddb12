// A Margin cluster for end-to-end tests: the built API, N worker processes and the LLM emulator as separate
// processes (so a worker can be killed with SIGKILL), on a fresh database, with helpers to drive it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, ROOT } from './stack';

const API = 'dist/apps/api/apps/api/src/main.js';
const CLI = 'dist/apps/api/apps/api/src/cli.js';
const WORKER = 'dist/apps/worker/apps/worker/src/main.js';
const EMULATOR = 'dist/apps/llm-emulator/apps/llm-emulator/src/main.js';

export interface Cluster {
  url: string;
  emulatorUrl: string;
  owner: { email: string; password: string; token: string };
  workers: ChildProcess[];
  /** The API process itself (to check it is still alive) and what it has logged so far (the last 20 MB). */
  apiProcess: ChildProcess;
  apiLog(): string;
  db: Client;
  env: NodeJS.ProcessEnv;
  api<T = unknown>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  startWorker(): Promise<ChildProcess>;
  emulatorRequests(): Promise<number>;
  stop(): Promise<void>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in time:\n${out}`)), timeoutMs);
    const onData = (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before starting:\n${out}`));
    });
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export interface ClusterOptions {
  workers: number;
  emulator: Record<string, unknown>;
  env?: Record<string, string>;
  /** A PostgreSQL server of the test's own (its database is created there); default E2E_DATABASE_URL's. */
  databaseUrl?: string;
  /** A Redis of the test's own, used as given; default E2E_REDIS_URL. */
  redisUrl?: string;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const built = spawnSync(process.execPath, ['scripts/build.mjs', 'api', 'worker', 'llm-emulator'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}\n${built.stderr}`);

  const dir = mkdtempSync(path.join(tmpdir(), 'margin-e2e-'));
  const emulatorConfig = path.join(dir, 'emulator.json');
  writeFileSync(emulatorConfig, JSON.stringify(options.emulator));
  const emulator = spawn(process.execPath, [EMULATOR, '--port', '0', '--config', emulatorConfig], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const emulatorUrl = (JSON.parse(await waitForLine(emulator, /llm-emulator listening/, 'the emulator')) as { url: string }).url;

  const base = options.databaseUrl ?? process.env.E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_e2e';
  // A database of this test process's own, dropped at the end.
  const dbName = `margin_e2e_c${process.pid}`;
  const dbUrl = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
  const maintenanceUrl = Object.assign(new URL(base), { pathname: '/postgres' }).toString();
  const admin = new Client({ connectionString: maintenanceUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();

  const redisBase = process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
  const port = await freePort();
  const owner = { email: 'owner@e2e.test', password: 'e2e-owner-password' };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl,
    // E2E_REDIS_URL's own database (13 by default), so that side-by-side runs never share queues
    REDIS_URL: options.redisUrl ?? process.env.E2E_REDIS_URL ?? Object.assign(new URL(redisBase), { pathname: '/13' }).toString(),
    JWT_SECRET: 'e2e-jobs-jwt-secret-0123456789abcdef',
    ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    OLLAMA_BASE_URL: emulatorUrl,
    OPENAI_BASE_URL: `${emulatorUrl}/v1`,
    OPENAI_API_KEY: 'emulator',
    ANTHROPIC_BASE_URL: emulatorUrl,
    ANTHROPIC_API_KEY: 'emulator',
    ADMIN_EMAIL: owner.email,
    ADMIN_PASSWORD: owner.password,
    ALLOW_SIGNUP: 'true',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: '5',
    RATE_LIMIT_PER_MINUTE: '100000',
    ...options.env,
  };
  const redisFlush = spawnSync('redis-cli', ['-u', env.REDIS_URL as string, 'flushdb'], { encoding: 'utf8' });
  if (redisFlush.status !== 0) throw new Error(`redis flush failed: ${redisFlush.stderr}`);
  for (const command of ['migrate', 'ensure-owner']) {
    const r = spawnSync(process.execPath, [CLI, command], { cwd: ROOT, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} failed: ${r.stderr}`);
  }

  const api = spawn(process.execPath, [API], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Always read the API's output: a pipe nobody drains fills up and then blocks the API's (synchronous) logging.
  let apiLog = '';
  const keep = (b: Buffer) => {
    apiLog += b.toString();
    if (apiLog.length > 20_000_000) apiLog = apiLog.slice(-10_000_000);
  };
  api.stdout?.on('data', keep);
  api.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* starting */
    }
    if (i > 200) throw new Error('the API did not answer /health');
    await new Promise((r) => setTimeout(r, 150));
  }

  const db = new Client({ connectionString: dbUrl });
  await db.connect();

  const call = async <T>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  const login = await call<{ accessToken: string }>('POST', '/api/v1/auth/login', owner);
  const workers: ChildProcess[] = [];

  const cluster: Cluster = {
    url,
    emulatorUrl,
    owner: { ...owner, token: login.body.accessToken },
    workers,
    apiProcess: api,
    apiLog: () => apiLog,
    db,
    env,
    api: call,
    async startWorker() {
      const worker = spawn(process.execPath, [WORKER], { cwd: ROOT, env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
      workers.push(worker); // stopped with the rest even if it never says it started
      await waitForLine(worker, /Margin worker started/, 'a worker');
      return worker;
    },
    async emulatorRequests() {
      const stats = (await (await fetch(`${emulatorUrl}/_emulator/stats`)).json()) as { stats: Record<string, { requests: number }> };
      return Object.values(stats.stats).reduce((n, s) => n + s.requests, 0);
    },
    async stop() {
      await Promise.all([...workers.map((w) => stopChild(w)), stopChild(api)]);
      await stopChild(emulator);
      await db.end().catch(() => undefined);
      const cleanup = new Client({ connectionString: maintenanceUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await cleanup.end();
    },
  };
  try {
    for (let i = 0; i < options.workers; i++) await cluster.startWorker();
  } catch (err) {
    // nobody gets this cluster to stop: stop what did start, so no process outlives the suite that failed
    await cluster.stop().catch(() => undefined);
    throw err;
  }
  return cluster;
}
