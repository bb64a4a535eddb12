// Where the benchmarks run the built apps from: dist/apps, or a private snapshot of it (snapshotDist()).
// A build started by someone else on the same checkout during a run (tests, other benchmarks) would otherwise
// swap files under the processes a bench has started.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './procs.mjs';

const APPS = {
  api: 'api/apps/api/src/main.js',
  cli: 'api/apps/api/src/cli.js',
  worker: 'worker/apps/worker/src/main.js',
  emulator: 'llm-emulator/apps/llm-emulator/src/main.js',
};

let appsDir = 'dist/apps';
let snapshotRoot = null;

/** The entry point of a built app (`api`, `cli`, `worker`, `emulator`), relative to the repository. */
export const appMain = (app) => path.join(appsDir, APPS[app]);

/**
 * Copies the just-built API, worker and emulator out of dist/ (into the git-ignored tmp/, so that
 * node_modules still resolves) and runs them from there. Removed by removeSnapshot() and on exit.
 */
export function snapshotDist(prefix = 'bench') {
  if (snapshotRoot) return path.join(snapshotRoot, 'dist/apps');
  mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
  // snapshots left behind by runs that were killed outright
  for (const entry of readdirSync(path.join(ROOT, 'tmp'), { withFileTypes: true })) {
    const m = /^bench-[a-z]+-(\d+)$/.exec(entry.name);
    if (!m || !entry.isDirectory() || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0); // still running: leave it
    } catch {
      rmSync(path.join(ROOT, 'tmp', entry.name), { recursive: true, force: true });
    }
  }
  // keeps …/dist/apps/<app>/ in the path: the CPU-profile summary (cpu.mjs) groups Margin's frames by it
  snapshotRoot = path.join('tmp', `bench-${prefix}-${process.pid}`);
  const dir = path.join(snapshotRoot, 'dist/apps');
  for (const app of ['api', 'worker', 'llm-emulator']) cpSync(path.join(ROOT, 'dist/apps', app), path.join(ROOT, dir, app), { recursive: true });
  for (const app of Object.keys(APPS)) if (!existsSync(path.join(ROOT, dir, APPS[app]))) throw new Error(`dist snapshot: ${APPS[app]} missing (was dist/ being rebuilt?)`);
  appsDir = dir;
  process.once('exit', removeSnapshot);
  return dir;
}

export function removeSnapshot() {
  if (snapshotRoot) rmSync(path.join(ROOT, snapshotRoot), { recursive: true, force: true });
  snapshotRoot = null;
  appsDir = 'dist/apps';
}
