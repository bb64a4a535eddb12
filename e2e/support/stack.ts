// Runs `npm start` (scripts/start.mjs) the way a user does, on a free port against a fresh e2e database.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';

export const ROOT = path.resolve(__dirname, '../..');

export interface RunningStack {
  url: string;
  redisUrl: string;
  process: ChildProcess;
  output: () => string;
  ownerEmail: string;
  ownerPassword: string;
  pids: { api: number; worker: number };
  /** Sends Ctrl-C (SIGINT) and resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function recreateDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const client = new Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function startStack(env: Record<string, string> = {}): Promise<RunningStack> {
  const port = await freePort();
  const databaseUrl = process.env.E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_e2e';
  await recreateDatabase(databaseUrl);
  const redisUrl = process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'warn' };
  delete childEnv.ADMIN_EMAIL;
  delete childEnv.ADMIN_PASSWORD;
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const deadline = Date.now() + 240_000;
  while (!/Press Ctrl-C to stop/.test(out)) {
    if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up in time:\n${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const url = /Margin is running at (\S+)/.exec(out)?.[1];
  const ownerEmail = /Owner login: (\S+)/.exec(out)?.[1];
  const ownerPassword = /Password: +(\S+)/.exec(out)?.[1];
  const api = Number(/api started \(pid (\d+)\)/.exec(out)?.[1]);
  const worker = Number(/worker started \(pid (\d+)\)/.exec(out)?.[1]);
  if (!url || !ownerEmail || !ownerPassword || !api || !worker) throw new Error(`could not read the start banner:\n${out}`);
  return {
    url,
    redisUrl,
    process: child,
    output: () => out,
    ownerEmail,
    ownerPassword,
    pids: { api, worker },
    interrupt: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
