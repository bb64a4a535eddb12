// The route fuzzer against the real built API process (dist/, NODE_ENV=production, its own process guard):
// every operation of GET /api/docs-json, for an unauthenticated client, a viewer (API key) and the operator's
// owner (JWT). Fails on any 5xx, any request left without an answer, any error-level log line, or the API
// process exiting; afterwards /health must still be 200. Seeded (FUZZ_SEED), so a failure reproduces; each
// failure prints the request that caused it.
import { describeFailure, fuzzCases, runFuzz, type FuzzRole, type OpenApiDocument } from '@margin/testing';
import { startCluster, type Cluster } from './support/cluster';

// ~14,000 cases: about 100 s on a quiet machine, 3 minutes and more when the machine is busy
jest.setTimeout(600_000);

// Another seed than the integration tier's, so the two tiers between them sample more wrong values.
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const BODY_LIMIT_BYTES = 1024 * 1024;

describe('route fuzzer against the built API', () => {
  let c: Cluster;

  beforeAll(async () => {
    c = await startCluster({
      workers: 0,
      emulator: { timeScale: 0 },
      env: {
        BODY_LIMIT: '1mb',
        // This test's own Redis database (E2E_REDIS_URL), whatever the cluster's default.
        ...(process.env.E2E_REDIS_URL ? { REDIS_URL: process.env.E2E_REDIS_URL } : {}),
      },
    });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('answers every hostile request with a 2xx–4xx, logs no error, and stays up', async () => {
    const doc = (await c.api<OpenApiDocument>('GET', '/api/docs-json')).body;
    const owner = { authorization: `Bearer ${c.owner.token}` };
    const viewer = await c.api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'fuzz viewer', role: 'viewer' }, owner);
    expect(viewer.status).toBe(201);
    const roles: FuzzRole[] = [
      { name: 'unauthenticated', headers: {} },
      { name: 'viewer (API key)', headers: { 'x-api-key': viewer.body.key } },
      { name: 'owner (JWT, operator)', headers: owner },
    ];
    const cases = fuzzCases(doc, { seed: SEED, roles, bodyLimitBytes: BODY_LIMIT_BYTES, wrongValuesPerProperty: 1, valuesPerParam: 8 });
    const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(new Set(cases.map((x) => x.operation)).size).toBe(operations);
    const logBefore = c.apiLog().length;

    const started = Date.now();
    const results = await runFuzz(c.url, cases, { concurrency: 4, timeoutMs: 20_000 });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);

    // Still the same process, still healthy.
    expect({ exitCode: c.apiProcess.exitCode, signal: c.apiProcess.signalCode }).toEqual({ exitCode: null, signal: null });
    const health = await fetch(`${c.url}/health`);
    expect(health.status).toBe(200);

    const failures = results.filter((r) => r.failure);
    // Client mistakes are warnings at most; an error line is a server fault (and a client hanging up is info).
    const errorLines = c
      .apiLog()
      .slice(logBefore)
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    const report = [
      `${results.length} cases over ${operations} operations × ${roles.length} roles in ${seconds} s, seed ${SEED}`,
      ...failures.map((r) => describeFailure(r, SEED)),
      ...errorLines.slice(0, 20).map((l) => `✗ error logged: ${l.slice(0, 600)}`),
    ].join('\n');
    process.stdout.write(`${report}\n`);
    expect(failures.length + errorLines.length).toBe(0);
  });

  it('names a corrupt body encoding in the answer, in OpenAI’s shape under /v1', async () => {
    const send = async (route: string, encoding: string) => {
      const res = await fetch(`${c.url}${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${c.owner.token}`, 'content-type': 'application/json', 'content-encoding': encoding },
        body: 'not compressed at all',
      });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    expect(await send('/api/v1/auth/login', 'gzip')).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'incorrect header check' },
    });
    expect(await send('/v1/chat/completions', 'gzip')).toEqual({
      status: 400,
      body: { error: { message: 'incorrect header check', type: 'invalid_request_error', param: null, code: null } },
    });
    expect(await send('/v1/chat/completions', 'zstd')).toEqual({
      status: 415,
      body: { error: { message: 'unsupported content encoding "zstd"', type: 'invalid_request_error', param: null, code: null } },
    });
  });
});
