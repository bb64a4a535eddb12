// Margin's API for the benchmarks: a fresh `margin_bench` database, Redis db 12, the built API (one or more
// instances) pointed at an emulator, an owner session and an API key.
import { benchStack } from './stack.mjs';

export const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_bench';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
export const BENCH_MODEL = 'openai/gpt-4o-mini';

const stack = benchStack({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, ownerEmail: 'bench-owner@margin.local' });
const OWNER = stack.owner;

export const { dropDatabase, flushRedis, withRedis, startApi } = stack;
/** Fresh database, migrated, with the operator tenant's owner. */
export const prepareMargin = stack.prepare;

/** Deletes the global rate limiter's state (keys margin:rl:*) so that every bucket starts full. */
export const clearLimiterState = () =>
  withRedis(async (r) => {
    const keys = await r.keys('margin:rl:*');
    if (keys.length) await r.del(...keys);
    return keys.length;
  });

async function call(url, method, path, { token, body } = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/** Logs the owner in, creates an API key; returns {token, apiKey}. */
export async function ownerSession(url) {
  const { accessToken } = await call(url, 'POST', '/api/v1/auth/login', { body: OWNER });
  const created = await call(url, 'POST', '/api/v1/api-keys', { token: accessToken, body: { name: `bench-${Date.now()}` } });
  return { token: accessToken, apiKey: created.key };
}

/** PUT /api/v1/router/models/<id> as the owner (rpm/tpm/maxConcurrency: null = no limit). */
export function setModelLimits(url, token, limits, model = BENCH_MODEL) {
  return call(url, 'PUT', `/api/v1/router/models/${encodeURIComponent(model)}`, { token, body: limits });
}

export function getModel(url, token, model = BENCH_MODEL) {
  return call(url, 'GET', `/api/v1/router/models/${encodeURIComponent(model)}`, { token });
}
