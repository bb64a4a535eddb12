// Private Redis and PostgreSQL servers for tests that restart them: each on a free port of 127.0.0.1, in a
// temporary directory, started and stopped by the test (never the shared 5432/6379 servers others use).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { freePort } from './stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PrivateService {
  url: string;
  port: number;
  /** Stops the server abruptly (as a crash or a restart would), waits `downMs`, starts it again on the same port. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A Redis without persistence: a restart loses every key, the harshest case for the queue. */
export async function startPrivateRedis(): Promise<PrivateService> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: 'ignore',
    });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    for (let i = 0; ; i++) {
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') break;
      } catch {
        if (i > 100) throw new Error(`private redis on ${port} did not start`);
        await sleep(100);
      }
    }
    probe.disconnect();
  };
  const kill = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  };
  await start();
  return {
    url,
    port,
    async restart(downMs = 2_000) {
      await kill('SIGKILL');
      await sleep(downMs);
      await start();
    },
    stop: () => kill('SIGTERM'),
  };
}

function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const p = path.join(base, v, 'bin', name);
    if (existsSync(p)) return p;
  }
  return name;
}

function asPostgres(args: string[]): { status: number | null; out: string } {
  // initdb and the server refuse to run as root.
  const root = process.getuid?.() === 0;
  const r = root
    ? spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8' })
    : spawnSync(args[0] as string, args.slice(1), { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** A PostgreSQL cluster of its own (trust auth, fsync off: test data only). */
export async function startPrivatePostgres(): Promise<PrivateService> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'margin-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const init = asPostgres([pgBin('initdb'), '-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.out}`);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = async () => {
    const r = asPostgres([pgBin('pg_ctl'), '-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
    if (r.status !== 0) throw new Error(`pg_ctl start failed:\n${r.out}`);
    for (let i = 0; ; i++) {
      const c = new Client({ connectionString: url });
      try {
        await c.connect();
        await c.end();
        return;
      } catch {
        await c.end().catch(() => undefined);
        if (i > 100) throw new Error(`private postgres on ${port} did not answer`);
        await sleep(100);
      }
    }
  };
  const stop = (mode: 'fast' | 'immediate') => {
    if (!existsSync(path.join(data, 'postmaster.pid'))) return;
    asPostgres([pgBin('pg_ctl'), '-D', data, '-m', mode, '-w', 'stop']);
  };
  await start();
  return {
    url,
    port,
    async restart(downMs = 2_000) {
      // immediate: every backend is cut, like a crash; recovery runs on the next start.
      stop('immediate');
      await sleep(downMs);
      await start();
    },
    async stop() {
      stop('fast');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
