// The Portkey AI gateway (node_modules/@portkey-ai/gateway), bound to 127.0.0.1 through a loader hook, and
// checked with `ss -ltnp` before it is used.
import { spawnSync } from 'node:child_process';
import { freePort, spawnNode } from './procs.mjs';

export const PORTKEY_MAIN = 'node_modules/@portkey-ai/gateway/build/start-server.js';

/** Listening TCP sockets of `pid` according to `ss -ltnp` (e.g. ['127.0.0.1:8787']). */
export function listeningAddresses(pid) {
  const r = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ss -ltnp failed: ${r.stderr || r.error?.message}`);
  return r.stdout
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => line.trim().split(/\s+/)[3]);
}

export async function startPortkey() {
  const port = await freePort();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' };
  const proc = spawnNode('portkey', ['--import', './bench/lib/portkey-loopback.mjs', PORTKEY_MAIN, `--port=${port}`, '--headless'], { env });
  await proc.waitForLine(/Ready for connections/, 30_000);
  const addresses = listeningAddresses(proc.pid);
  const exposed = addresses.filter((a) => !a.startsWith('127.0.0.1:'));
  if (addresses.length === 0 || exposed.length > 0) {
    await proc.stop();
    throw new Error(`Portkey must listen on 127.0.0.1 only; ss -ltnp shows ${addresses.join(', ') || 'nothing'} for pid ${proc.pid}`);
  }
  return { proc, url: `http://127.0.0.1:${port}`, addresses };
}
