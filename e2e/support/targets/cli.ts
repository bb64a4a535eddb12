// Installs (and with `start`, also starts once and stops, to time it) the real publishing platforms outside a
// test run, e.g. to warm a CI cache: `npx ts-node -T -P e2e/tsconfig.json e2e/support/targets/cli.ts install wordpress ghost bluesky`.
import { installBluesky, startBluesky } from './bluesky';
import { installGhost, startGhost } from './ghost';
import { installStrapi, startStrapi } from './strapi';
import { installWordPress, startWordPress } from './wordpress';

interface Platform {
  install: () => Promise<{ installed: boolean; ms: number }>;
  start: () => Promise<{ url: string; stop: () => Promise<void> }>;
}

const PLATFORMS: Record<string, Platform> = {
  wordpress: { install: installWordPress, start: startWordPress },
  ghost: { install: installGhost, start: startGhost },
  bluesky: { install: installBluesky, start: startBluesky },
  strapi: { install: installStrapi, start: startStrapi },
};

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  const [command, ...names] = process.argv.slice(2);
  const platforms = names.map((n) => PLATFORMS[n]);
  if (!['install', 'start'].includes(command ?? '') || !names.length || platforms.some((p) => !p)) {
    process.stderr.write(`usage: cli.ts install|start ${Object.keys(PLATFORMS).join('|')}...\n`);
    process.exit(2);
  }
  for (const [i, name] of names.entries()) {
    const p = platforms[i] as Platform;
    const r = await p.install();
    say(`${name}: ${r.installed ? 'installed' : 'cached'} in ${(r.ms / 1000).toFixed(1)} s`);
    if (command === 'start') {
      const t = Date.now();
      const s = await p.start();
      say(`${name}: started at ${s.url} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      await s.stop();
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
