// Strapi 5.54.0 (5.55.1 has no matching users-permissions release), headless (`serveAdminPanel: false`) on
// SQLite. Installed once: a small JavaScript Strapi app written here (config from environment variables,
// one `article` collection type with the fields the Strapi target writes) and its npm dependencies. Each
// start gets a fresh database on a free port of 127.0.0.1, an admin and a full-access API token.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureInstalled, freePort, run, startServer, waitFor, type InstallResult } from './cache';

export const STRAPI_VERSION = '5.54.0';

export interface RunningStrapi {
  url: string;
  apiToken: string;
  /** The collection type's plural API id. */
  contentType: string;
  pid: number;
  stop(): Promise<void>;
}

const FILES: Record<string, string> = {
  'package.json': JSON.stringify(
    {
      name: 'margin-strapi',
      private: true,
      dependencies: {
        '@strapi/strapi': STRAPI_VERSION,
        '@strapi/plugin-users-permissions': STRAPI_VERSION,
        'better-sqlite3': '^11.10.0',
        // Peer dependencies of @strapi/strapi (its admin panel, which this app does not serve).
        react: '^18.3.1',
        'react-dom': '^18.3.1',
        'react-router-dom': '^6.30.3',
        'styled-components': '^6.1.19',
      },
    },
    null,
    2,
  ),
  'config/server.js': `module.exports = ({ env }) => ({ host: '127.0.0.1', port: env.int('PORT'), app: { keys: env.array('APP_KEYS') } });\n`,
  'config/database.js': `module.exports = ({ env }) => ({ connection: { client: 'sqlite', connection: { filename: env('DATABASE_FILENAME') }, useNullAsDefault: true } });\n`,
  'config/admin.js': `module.exports = ({ env }) => ({
  serveAdminPanel: false,
  auth: { secret: env('ADMIN_JWT_SECRET') },
  apiToken: { salt: env('API_TOKEN_SALT') },
  transfer: { token: { salt: env('TRANSFER_TOKEN_SALT') } },
  secrets: { encryptionKey: env('ENCRYPTION_KEY') },
});\n`,
  'config/plugins.js': `module.exports = ({ env }) => ({ 'users-permissions': { config: { jwtSecret: env('JWT_SECRET') } } });\n`,
  'config/middlewares.js': `module.exports = ['strapi::logger', 'strapi::errors', 'strapi::security', 'strapi::cors', 'strapi::poweredBy', 'strapi::query', 'strapi::body', 'strapi::session', 'strapi::favicon', 'strapi::public'];\n`,
  'src/index.js': `module.exports = { register() {}, bootstrap() {} };\n`,
  'src/api/article/content-types/article/schema.json': JSON.stringify(
    {
      kind: 'collectionType',
      collectionName: 'articles',
      info: { singularName: 'article', pluralName: 'articles', displayName: 'Article' },
      options: { draftAndPublish: true },
      attributes: {
        title: { type: 'string', required: true },
        slug: { type: 'string' },
        content: { type: 'richtext' },
        excerpt: { type: 'text' },
        tags: { type: 'json' },
        canonicalUrl: { type: 'string' },
        marginMarker: { type: 'string' },
      },
    },
    null,
    2,
  ),
  'src/api/article/routes/article.js': `module.exports = require('@strapi/strapi').factories.createCoreRouter('api::article.article');\n`,
  'src/api/article/controllers/article.js': `module.exports = require('@strapi/strapi').factories.createCoreController('api::article.article');\n`,
  'src/api/article/services/article.js': `module.exports = require('@strapi/strapi').factories.createCoreService('api::article.article');\n`,
  'public/uploads/.keep': '',
};

export async function installStrapi(): Promise<InstallResult> {
  return ensureInstalled('strapi', STRAPI_VERSION, async (dir) => {
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    const env = { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir || '/usr' };
    await run('npm', ['install', '--no-audit', '--no-fund'], { env, cwd: dir });
  });
}

export async function startStrapi(): Promise<RunningStrapi> {
  const { dir } = await installStrapi();
  const work = mkdtempSync(path.join(tmpdir(), 'margin-strapi-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const secret = () => randomBytes(16).toString('base64');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    DATABASE_FILENAME: path.join(work, 'strapi.db'),
    APP_KEYS: [secret(), secret()].join(','),
    ADMIN_JWT_SECRET: secret(),
    API_TOKEN_SALT: secret(),
    TRANSFER_TOKEN_SALT: secret(),
    ENCRYPTION_KEY: secret(),
    JWT_SECRET: secret(),
    STRAPI_TELEMETRY_DISABLED: 'true',
  };
  const server = startServer(process.execPath, [path.join(dir, 'node_modules', '@strapi', 'strapi', 'bin', 'strapi.js'), 'start'], { env, cwd: dir });
  const stop = async () => {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    await waitFor('Strapi', async () => (await fetch(`${url}/_health`)).status === 204, server, 120_000);
    const json = { 'Content-Type': 'application/json' };
    const register = await fetch(`${url}/admin/register-admin`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ firstname: 'Margin', lastname: 'E2E', email: 'admin@example.test', password: `Margin-${randomBytes(8).toString('hex')}A1` }),
    });
    if (!register.ok) throw new Error(`Strapi register-admin: ${register.status} ${await register.text()}`);
    const { data: admin } = (await register.json()) as { data: { token: string } };
    const created = await fetch(`${url}/admin/api-tokens`, {
      method: 'POST',
      headers: { ...json, Authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ name: 'margin-e2e', description: '', type: 'full-access', lifespan: null }),
    });
    if (!created.ok) throw new Error(`Strapi api-tokens: ${created.status} ${await created.text()}`);
    const { data: token } = (await created.json()) as { data: { accessKey: string } };
    return { url, apiToken: token.accessKey, contentType: 'articles', pid: server.pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
