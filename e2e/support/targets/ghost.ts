// Ghost 5.130.4 (the last major that runs on Node 20) on SQLite, installed once from the npm tarball with
// yarn and its own yarn.lock (`npm install ghost` cannot resolve its bundled `file:` components), native
// modules built from the local Node headers. Each start gets a fresh content directory and database on a
// free port of 127.0.0.1, an owner made through the setup API and an Admin API key from a new integration.
import { cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureInstalled, freePort, run, sleep, startServer, waitFor, type InstallResult } from './cache';

export const GHOST_VERSION = '5.130.4';

export interface RunningGhost {
  url: string;
  /** `id:secret` of an Admin API key. */
  adminApiKey: string;
  ownerEmail: string;
  ownerPassword: string;
  pid: number;
  stop(): Promise<void>;
}

export async function installGhost(): Promise<InstallResult> {
  return ensureInstalled('ghost', GHOST_VERSION, async (dir) => {
    const env = { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir || '/usr' };
    await run('npm', ['pack', `ghost@${GHOST_VERSION}`, '--pack-destination', dir], { env, cwd: dir });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ghost@${GHOST_VERSION} made no tarball`);
    await run('tar', ['xzf', tarball], { cwd: dir });
    rmSync(path.join(dir, tarball));
    renameSync(path.join(dir, 'package'), path.join(dir, 'ghost'));
    const pkgFile = path.join(dir, 'ghost', 'package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as Record<string, unknown>;
    // Its devDependencies point at GitHub tarballs (unreachable here and not needed to run it).
    delete pkg.devDependencies;
    writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
    await run('npx', ['-y', 'yarn@1.22.22', 'install', '--production', '--non-interactive', '--network-timeout', '600000'], {
      env,
      cwd: path.join(dir, 'ghost'),
    });
  });
}

export async function startGhost(): Promise<RunningGhost> {
  const { dir } = await installGhost();
  const ghostDir = path.join(dir, 'ghost');
  const work = mkdtempSync(path.join(tmpdir(), 'margin-ghost-'));
  const content = path.join(work, 'content');
  cpSync(path.join(ghostDir, 'content'), content, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    url,
    server__host: '127.0.0.1',
    server__port: String(port),
    database__client: 'sqlite3',
    database__connection__filename: path.join(work, 'ghost.db'),
    database__useNullAsDefault: 'true',
    paths__contentPath: content,
    mail__transport: 'stub',
    privacy__useTinfoil: 'true',
    logging__level: 'warn',
    logging__transports: '["stdout"]',
    // The owner signs in once per instance; a new-device e-mail code would need a mailbox.
    security__staffDeviceVerification: 'false',
    spam__user_login__freeRetries: '1000',
    spam__global_block__freeRetries: '1000',
  };
  const server = startServer(process.execPath, [path.join(ghostDir, 'index.js')], { env, cwd: ghostDir });
  const stop = async () => {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    await waitFor('Ghost', async () => (await fetch(`${url}/ghost/api/admin/site/`)).status === 200, server, 120_000);
    const ownerEmail = 'owner@example.test';
    const ownerPassword = `Margin-${randomBytes(8).toString('hex')}`;
    const admin = `${url}/ghost/api/admin`;
    const json = { 'Content-Type': 'application/json', Origin: url, 'Accept-Version': 'v5.0' };
    const setup = await fetch(`${admin}/authentication/setup/`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ setup: [{ name: 'Owner', email: ownerEmail, password: ownerPassword, blogTitle: 'Margin e2e' }] }),
    });
    if (!setup.ok) throw new Error(`Ghost setup: ${setup.status} ${await setup.text()}`);
    // Right after setup a fresh session is now and then not yet recognised (403 "Unable to determine the
    // authenticated user"): sign in again and retry a few times.
    let integration: Response | undefined;
    for (let attempt = 0; attempt < 10; attempt++) {
      const session = await fetch(`${admin}/session/`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: ownerEmail, password: ownerPassword }),
      });
      if (!session.ok) throw new Error(`Ghost session: ${session.status} ${await session.text()}`);
      const cookie = session.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      integration = await fetch(`${admin}/integrations/?include=api_keys`, {
        method: 'POST',
        headers: { ...json, Cookie: cookie },
        body: JSON.stringify({ integrations: [{ name: 'Margin e2e' }] }),
      });
      if (integration.status !== 403) break;
      await sleep(500);
    }
    if (!integration?.ok) throw new Error(`Ghost integration: ${integration?.status} ${await integration?.text()}`);
    const body = (await integration.json()) as { integrations: { api_keys: { type: string; id: string; secret: string }[] }[] };
    const key = body.integrations[0]?.api_keys.find((k) => k.type === 'admin');
    if (!key) throw new Error('Ghost made the integration without an Admin API key');
    // Ghost 5's Admin API answers with the full `id:secret` in `secret`.
    const adminApiKey = key.secret.includes(':') ? key.secret : `${key.id}:${key.secret}`;
    return { url, adminApiKey, ownerEmail, ownerPassword, pid: server.pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
