// Shared by start, migrate and test: resolve the environment and make sure the services answer.
import { spawnSync } from 'node:child_process';
import { ROOT, say } from './deps.mjs';
import { API_CLI } from './build.mjs';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, localState } from './env.mjs';
import { ensureDatabase, ensurePostgres, ensureRedis, ServiceError } from './services.mjs';

/**
 * The environment for Margin's processes. Variables the user set are kept; the rest come from
 * .margin/local.env or sensible local defaults.
 */
export async function prepareEnvironment(overrides = {}) {
  const env = { ...process.env, ...overrides };
  const explicitDb = Boolean(env.DATABASE_URL);
  let state = localState();
  env.JWT_SECRET ||= state.JWT_SECRET;
  env.ENCRYPTION_KEY ||= state.ENCRYPTION_KEY;
  env.REDIS_URL ||= DEFAULT_REDIS_URL;
  env.DATABASE_URL ||= state.DATABASE_URL || DEFAULT_DATABASE_URL;
  try {
    const workingUrl = await ensurePostgres(env.DATABASE_URL, { explicit: explicitDb });
    if (workingUrl !== env.DATABASE_URL) {
      say(`using ${new URL(workingUrl).username}@${new URL(workingUrl).host} for PostgreSQL (saved in .margin/local.env)`);
      state = localState({ DATABASE_URL: workingUrl });
      env.DATABASE_URL = workingUrl;
    }
    await ensureRedis(env.REDIS_URL);
  } catch (err) {
    if (err instanceof ServiceError) {
      process.stderr.write(`\n${err.message}\n`);
      process.exit(69); // EX_UNAVAILABLE
    }
    throw err;
  }
  return env;
}

/** Runs one command of the API's CLI (migrate, ensure-owner) and returns its JSON answer. */
export function cli(command, env) {
  const r = spawnSync(process.execPath, [API_CLI, command], { cwd: ROOT, env, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`${command} failed (exit ${r.status})`);
  }
  const last = r.stdout.trim().split('\n').at(-1);
  return JSON.parse(last);
}

export async function migrate(env) {
  await ensureDatabase(env.DATABASE_URL);
  const result = cli('migrate', env);
  say(result.applied.length ? `applied migrations: ${result.applied.join(', ')}` : 'database schema is up to date');
  return result;
}
