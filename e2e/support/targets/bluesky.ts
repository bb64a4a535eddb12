// Bluesky: a local PLC directory and PDS from @atproto/dev-env 0.3.215 (the last line that runs on Node 20),
// installed once with npm. Their ports are fixed by dev-env (PLC 2582, PDS 2583), so only one instance can
// run on a machine at a time; they listen on every interface, so a preload forces listen() onto 127.0.0.1.
// Each start has fresh in-memory/temporary state, one account and an app password for it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureInstalled, run, startServer, waitFor, type InstallResult } from './cache';

export const DEV_ENV_VERSION = '0.3.215';
export const PLC_PORT = 2582;
export const PDS_PORT = 2583;

export interface RunningBluesky {
  /** PDS service URL (what an endpoint's URL is). */
  url: string;
  handle: string;
  password: string;
  appPassword: string;
  did: string;
  pid: number;
  stop(): Promise<void>;
}

// Rewrites every listen() to 127.0.0.1 (dev-env passes only a port, which means all interfaces).
const LOOPBACK_PRELOAD = `'use strict';
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\\d+$/.test(args[0]))) {
    const port = Number(args[0]);
    const rest = args.slice(1).filter((a) => typeof a === 'function' || typeof a === 'object');
    if (typeof args[1] === 'number') rest.unshift(args[1]);
    return listen.call(this, port, '127.0.0.1', ...rest);
  }
  if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].path) {
    return listen.call(this, { ...args[0], host: '127.0.0.1' }, ...args.slice(1));
  }
  return listen.apply(this, args);
};
`;

// Starts PLC + PDS, prints one JSON line when ready, closes them on SIGTERM.
const RUNNER = `'use strict';
const { TestNetworkNoAppView } = require('@atproto/dev-env');
(async () => {
  const network = await TestNetworkNoAppView.create({ plc: { port: ${PLC_PORT} }, pds: { port: ${PDS_PORT} } });
  process.stdout.write(JSON.stringify({ ready: true, pds: network.pds.url, plc: network.plc.url }) + '\\n');
  const close = () => network.close().then(() => process.exit(0), () => process.exit(1));
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

export async function installBluesky(): Promise<InstallResult> {
  return ensureInstalled('bluesky-dev-env', DEV_ENV_VERSION, async (dir) => {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'margin-bluesky-dev-env', private: true }));
    const env = { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir || '/usr' };
    await run('npm', ['install', '--no-audit', '--no-fund', `@atproto/dev-env@${DEV_ENV_VERSION}`], { env, cwd: dir });
    mkdirSync(path.join(dir, 'margin'), { recursive: true });
    writeFileSync(path.join(dir, 'margin', 'loopback.js'), LOOPBACK_PRELOAD);
    writeFileSync(path.join(dir, 'margin', 'run.js'), RUNNER);
  });
}

export async function startBluesky(): Promise<RunningBluesky> {
  const { dir } = await installBluesky();
  const server = startServer(process.execPath, ['-r', path.join(dir, 'margin', 'loopback.js'), path.join(dir, 'margin', 'run.js')], {
    cwd: dir,
    env: { ...process.env, NODE_ENV: 'development', LOG_ENABLED: 'false' },
  });
  try {
    await waitFor('Bluesky PDS', async () => server.log().includes('"ready":true'), server, 60_000);
    const url = `http://127.0.0.1:${PDS_PORT}`;
    const handle = `margin${Date.now().toString(36)}.test`;
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    const { AtpAgent } = await import('@atproto/api');
    const agent = new AtpAgent({ service: url });
    const account = await agent.createAccount({ handle, email: `${handle}@example.test`, password });
    const app = await agent.com.atproto.server.createAppPassword({ name: 'margin-e2e' });
    return { url, handle, password, appPassword: app.data.password, did: account.data.did, pid: server.pid, stop: () => server.stop() };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
