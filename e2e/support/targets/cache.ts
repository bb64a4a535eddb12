// Where the real publishing platforms are installed once (outside the repo, keyed by name and version) and
// the small process helpers every platform harness shares. An install is done when its `.installed` stamp
// exists; a half-finished one (a killed run) has no stamp and is redone from scratch.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function cacheRoot(): string {
  return process.env.MARGIN_TARGETS_CACHE || path.join(homedir(), '.cache', 'margin-targets');
}

export function cacheDir(name: string, version: string): string {
  return path.join(cacheRoot(), `${name}-${version}`);
}

export interface InstallResult {
  dir: string;
  /** false when the cached install was used. */
  installed: boolean;
  ms: number;
}

/**
 * Runs `install(dir)` unless `dir` already holds a finished install. Two test processes installing the same
 * platform at once would corrupt it, so a lock directory serialises them (a stale lock from a killed run is
 * taken over after `staleMs`).
 */
export async function ensureInstalled(name: string, version: string, install: (dir: string) => Promise<void>, staleMs = 15 * 60_000): Promise<InstallResult> {
  const dir = cacheDir(name, version);
  const stamp = path.join(dir, '.installed');
  const started = Date.now();
  if (existsSync(stamp)) return { dir, installed: false, ms: Date.now() - started };
  mkdirSync(cacheRoot(), { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      if (existsSync(stamp)) return { dir, installed: false, ms: Date.now() - started };
      const owner = Number(readIfExists(path.join(lock, 'pid')));
      if (!owner || !isAlive(owner) || Date.now() - started > staleMs) rmSync(lock, { recursive: true, force: true });
      else await sleep(1_000);
    }
  }
  try {
    if (existsSync(stamp)) return { dir, installed: false, ms: Date.now() - started };
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await install(dir);
    writeFileSync(stamp, new Date().toISOString());
    return { dir, installed: true, ms: Date.now() - started };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readIfExists(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion; throws with the tail of its output when it fails. */
export async function run(cmd: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? code}):\n${out.slice(-4000)}`));
    });
  });
}

export function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** apt-get install when a Debian package is missing (a fresh CI machine); we run as root there. */
export async function ensureDebianPackages(packages: string[]): Promise<boolean> {
  const missing = packages.filter(
    (p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true,
  );
  if (!missing.length) return false;
  if (process.getuid?.() !== 0 || !commandExists('apt-get')) {
    throw new Error(`missing Debian packages ${missing.join(' ')}: install them (apt-get install -y ${missing.join(' ')})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
  } catch {
    await run('apt-get', ['update'], { env });
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
  }
  return true;
}

/** A started server: stopped by its pid (its process group, so children such as php workers go too). */
export class ServerProcess {
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => this.append(d));
    child.stderr?.on('data', (d: Buffer) => this.append(d));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the server process did not start');
    return this.child.pid;
  }

  log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-this.pid, s);
      } catch {
        try {
          process.kill(this.pid, s);
        } catch {
          // already gone
        }
      }
    };
    signal('SIGTERM');
    // A cleared timer: a pending one would keep the test process alive after the run.
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    if (!done) {
      signal('SIGKILL');
      await this.exited;
    }
  }

  private append(d: Buffer) {
    this.output = (this.output + d.toString()).slice(-64_000);
  }
}

/** Spawns a server in its own process group so `stop()` ends everything it started. */
export function startServer(cmd: string, args: string[], options: SpawnOptions = {}): ServerProcess {
  return new ServerProcess(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options }));
}

/** Polls `probe` until it resolves true; throws with the server's log when it does not in time. */
export async function waitFor(what: string, probe: () => Promise<boolean>, server: ServerProcess | null, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (server && !server.running) throw new Error(`${what} exited before it was ready:\n${server.log().slice(-4000)}`);
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${what} not ready after ${timeoutMs} ms:\n${server?.log().slice(-4000) ?? ''}`);
    await sleep(200);
  }
}

export { freePort } from '../stack';
