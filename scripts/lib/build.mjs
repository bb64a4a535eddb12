import { spawnSync } from 'node:child_process';
import { ROOT, say } from './deps.mjs';

/** Builds through Nx, so unchanged projects come from its cache. */
export function build(projects = ['api', 'worker', 'admin']) {
  const started = Date.now();
  say(`building ${projects.join(', ')}…`);
  const r = spawnSync('npx', ['-y', 'nx', 'run-many', '-t', 'build', '-p', projects.join(','), '--outputStyle=static'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  });
  if (r.status !== 0) {
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    throw new Error('build failed');
  }
  say(`built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

export const API_MAIN = 'dist/apps/api/apps/api/src/main.js';
export const API_CLI = 'dist/apps/api/apps/api/src/cli.js';
export const WORKER_MAIN = 'dist/apps/worker/apps/worker/src/main.js';
export const EMULATOR_MAIN = 'dist/apps/llm-emulator/apps/llm-emulator/src/main.js';
