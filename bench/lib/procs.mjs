// Child processes of the bench: every one is tracked and killed (its whole process group) when the run ends,
// fails or is interrupted.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(BENCH_DIR, '..');

const children = new Set();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function log(msg) {
  process.stdout.write(`[bench] ${msg}\n`);
}

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node <args>` in its own process group, keeps the last lines of its output for error messages and
 * registers it for clean-up. `onLine` sees every output line (stdout and stderr).
 */
export function spawnNode(name, args, { env = process.env, onLine, ipc = false } = {}) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const tail = [];
  const listeners = new Set(onLine ? [onLine] : []);
  const feed = (stream) => {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        tail.push(line);
        if (tail.length > 40) tail.shift();
        for (const l of listeners) l(line);
      }
    });
  };
  feed(child.stdout);
  feed(child.stderr);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const entry = {
    name,
    child,
    pid: child.pid,
    exited,
    output: () => tail.join('\n'),
    /** Resolves with the first line matching `re` (rejects when the process exits first or on timeout). */
    waitForLine(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const match = tail.find((l) => re.test(l));
        if (match !== undefined) return resolve(match);
        const timer = setTimeout(() => done(new Error(`${name}: no line matching ${re} within ${timeoutMs} ms\n${entry.output()}`)), timeoutMs);
        const onLineMatch = (line) => {
          if (re.test(line)) done(null, line);
        };
        const onExit = ({ code, signal }) => done(new Error(`${name} exited (${code ?? signal}) before printing ${re}\n${entry.output()}`));
        let settled = false;
        function done(err, line) {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          listeners.delete(onLineMatch);
          if (err) reject(err);
          else resolve(line);
        }
        listeners.add(onLineMatch);
        exited.then(onExit);
      });
    },
    /** SIGTERM/SIGINT to the process group, SIGKILL after `graceMs`. */
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) {
        children.delete(entry);
        return exited;
      }
      killGroup(child.pid, signal);
      const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      killGroup(child.pid, 'SIGKILL'); // anything the process left behind in its group
      children.delete(entry);
      return result;
    },
  };
  children.add(entry);
  return entry;
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Stops every child still running (graceful first). */
export async function stopAll() {
  await Promise.all([...children].map((c) => c.stop('SIGTERM', 3000)));
}

/** Last resort on exit: SIGKILL synchronously. */
function killAllNow() {
  for (const c of children) killGroup(c.pid, 'SIGKILL');
  children.clear();
}

let handlersInstalled = false;
let interruptedBy = null;
/** The signal that is stopping the run, if any (errors that follow from it are not worth reporting). */
export const interrupted = () => interruptedBy;

/** Kills the children on Ctrl-C / SIGTERM / crash; `onInterrupt` runs first (e.g. dropping the database). */
export function installCleanup(onInterrupt) {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      interruptedBy = sig;
      log(`${sig}: stopping child processes…`);
      const hard = setTimeout(() => {
        killAllNow();
        process.exit(130);
      }, 8000);
      hard.unref();
      stopAll()
        .then(() => onInterrupt?.())
        .catch(() => undefined)
        .finally(() => process.exit(130));
    });
  }
}
