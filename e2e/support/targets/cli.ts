// Installs (and optionally starts once, to time it) the real publishing platforms outside a test run, e.g. to
// warm a CI cache: `npx ts-node -T -P e2e/tsconfig.json e2e/support/targets/cli.ts install wordpress ghost bluesky`.
import { installBluesky, startBluesky } from './bluesky';
import { installGhost, startGhost } from './ghost';
import { installWordPress, startWordPress } from './wordpress';

type Platform = { install: () => Promise<{ installed: boolean; ms: number }>; start: () => Promise<{ url: string; stop: () => Promise<void> }> };

const PLATFORMS: Record<string, Platform> = {
  wordpress: { install: installWordPress, start: startWordPress },
  ghost: { install: installGhost, start: startGhost },
  bluesky: { install: installBluesky, start: startBluesky },
};

async function main() {
  const [command, ...names] = process.argv.slice(2);
  if (!['install', 'start'].includes(command ?? '') || names.some((n) => !PLATFORMS[n])) {
    console.error(`usage: cli.ts install|start ${Object.keys(PLATFORMS).join('|')}...`);
    process.exit(2);
  }
  for (const name of names) {
    const p = PLATFORMS[name]!;
    const r = await p.install();
    console.log(`${name}: ${r.installed ? 'installed' : 'cached'} in ${(r.ms / 1000).toFixed(1)} s`);
    if (command === 'start') {
      const t = Date.now();
      const s = await p.start();
      console.log(`${name}: started at ${s.url} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      await s.stop();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
