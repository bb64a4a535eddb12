// Makes sure PostgreSQL and Redis answer: use the configured ones, else start local ones, else install them
// (as root, from Debian's packages), else stop with the exact commands to run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { say } from './deps.mjs';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

export class ServiceError extends Error {}

function help(what) {
  return [
    `${what} is not reachable and could not be started here. Do one of:`,
    '  - install and start them (Debian/Ubuntu, as root):',
    '      apt-get install -y postgresql redis-server',
    '      pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    "      redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
    '  - or run them with Docker:  docker compose -f docker/compose.yml up -d postgres redis',
    '      then: export DATABASE_URL=postgres://margin:margin@127.0.0.1:5432/margin REDIS_URL=redis://127.0.0.1:6379',
    '  - or point DATABASE_URL / REDIS_URL at servers you already run.',
  ].join('\n');
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status === 0;
}

function aptInstall(pkgs) {
  if (!isRoot || !has('apt-get')) return false;
  say(`installing ${pkgs.join(' ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['install', '-y', ...pkgs], { env })) return true;
  return run('apt-get', ['update'], { env }) && run('apt-get', ['install', '-y', ...pkgs], { env });
}

// ---------- PostgreSQL ----------

function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function tryPostgres(url) {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return { ok: true };
  } catch (err) {
    return { ok: false, code: err.code, message: err.message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function startLocalPostgres() {
  if (!has('pg_ctlcluster')) return false;
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
  if (versions.length === 0) {
    const installed = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
    if (installed.length === 0 || !isRoot) return false;
    say(`creating PostgreSQL ${installed.at(-1)} cluster…`);
    return run('pg_createcluster', [installed.at(-1), 'main', '--start']);
  }
  say(`starting local PostgreSQL ${versions.join(', ')}…`);
  return versions.some((v) => run('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start'], { stdio: 'ignore' }));
}

/** A fresh Debian install only trusts local peers: give Margin its own password login. */
function createMarginRole() {
  if (!isRoot || !has('runuser')) return null;
  const sql = `DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'margin') THEN CREATE ROLE margin LOGIN CREATEDB PASSWORD 'margin';
    ELSE ALTER ROLE margin LOGIN CREATEDB PASSWORD 'margin'; END IF; END $$;`;
  const ok = run('runuser', ['-u', 'postgres', '--', 'psql', '-q', '-c', sql], { stdio: ['ignore', 'ignore', 'inherit'], cwd: os.tmpdir() });
  return ok ? 'postgres://margin:margin@127.0.0.1:5432/margin' : null;
}

async function waitFor(check, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    const r = await check();
    if (r.ok) return r;
    await sleep(250);
  }
  return check();
}

/**
 * Returns a DATABASE_URL that works. `explicit` says whether the user set it (then only its server is tried
 * and its credentials are never replaced).
 */
export async function ensurePostgres(url, { explicit }) {
  let r = await tryPostgres(url);
  if (!r.ok && (r.code === 'ECONNREFUSED' || r.code === 'ENOENT' || /ECONNREFUSED/.test(r.message ?? ''))) {
    const local = ['127.0.0.1', 'localhost', '::1'].includes(new URL(url).hostname);
    if (local && (startLocalPostgres() || (aptInstall(['postgresql']) && startLocalPostgres()))) {
      r = await waitFor(() => tryPostgres(url), 20);
    }
  }
  if (!r.ok && !explicit && ['28P01', '28000'].includes(r.code)) {
    const fallback = createMarginRole();
    if (fallback) {
      const f = await tryPostgres(fallback);
      if (f.ok) return fallback;
    }
  }
  if (!r.ok) throw new ServiceError(`${help('PostgreSQL')}\n  (last error: ${r.message})`);
  return url;
}

/** Creates the database named in the URL if it is missing; with `fresh`, drops it first. */
export async function ensureDatabase(url, { fresh = false } = {}) {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new ServiceError(`unsupported database name "${name}"`);
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    if (fresh) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE "${name}"`);
      say(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

// ---------- Redis ----------

function pingRedis(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok, message) => {
      socket.destroy();
      resolve({ ok, message });
    };
    socket.setTimeout(2000, () => done(false, 'timeout'));
    socket.on('error', (err) => done(false, err.message));
    socket.on('connect', () => {
      const auth = u.password ? `AUTH ${decodeURIComponent(u.password)}\r\n` : '';
      socket.write(`${auth}PING\r\n`);
    });
    socket.on('data', (buf) => {
      const text = buf.toString();
      if (text.includes('+PONG')) done(true);
      else if (text.startsWith('-')) done(false, text.trim());
    });
  });
}

function startLocalRedis(port) {
  if (!has('redis-server')) return false;
  const dir = existsSync('/var/lib/redis') ? '/var/lib/redis' : os.tmpdir();
  mkdirSync(dir, { recursive: true });
  say('starting local Redis…');
  return run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
}

export async function ensureRedis(url) {
  let r = await pingRedis(url);
  if (!r.ok) {
    const u = new URL(url);
    const local = ['127.0.0.1', 'localhost', '::1'].includes(u.hostname);
    const port = Number(u.port || 6379);
    if (local && (startLocalRedis(port) || (aptInstall(['redis-server']) && startLocalRedis(port)))) {
      r = await waitFor(() => pingRedis(url), 10);
    }
  }
  if (!r.ok) throw new ServiceError(`${help('Redis')}\n  (last error: ${r.message})`);
  return url;
}
