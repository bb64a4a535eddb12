// Step one of `npm start` / `npm test`: dependencies, using only Node's standard library.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function say(msg) {
  process.stdout.write(`[margin] ${msg}\n`);
}

/** npm install (not npm ci: lockfile entries for other platforms can break ci) when node_modules is missing or stale. */
export function ensureDependencies() {
  const marker = path.join(ROOT, 'node_modules', '.package-lock.json');
  const manifest = path.join(ROOT, 'package.json');
  const stale = !existsSync(marker) || statSync(manifest).mtimeMs > statSync(marker).mtimeMs;
  if (!stale) return;
  say('installing dependencies (npm install)…');
  const started = Date.now();
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    say('npm install failed: check the registry is reachable (npm config get registry) and run `npm install` by hand.');
    process.exit(r.status ?? 1);
  }
  say(`dependencies installed in ${((Date.now() - started) / 1000).toFixed(0)}s`);
}
