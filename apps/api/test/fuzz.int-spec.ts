// The route fuzzer in-process: every operation of the app's own OpenAPI document, for an unauthenticated
// client, a viewer (API key) and the operator's owner (JWT), against the real Postgres and Redis and the LLM
// emulator. Deterministic: one seed (FUZZ_SEED to change it); an uncaught error is reported with the cases that
// were in flight (FUZZ_CONCURRENCY=1 pins it on one). FUZZ_CASE=<id> runs a single case, FUZZ_MATCH=<text> those whose
// operation or kind contains the text.
import {
  describeFailure,
  fuzzCases,
  makeApiKey,
  makeSession,
  runFuzz,
  startEmulator,
  startTestApp,
  type FuzzResult,
  type FuzzRole,
  type OpenApiDocument,
  type RunningEmulator,
  type TestApp,
} from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

jest.setTimeout(600_000);

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const ONLY = process.env.FUZZ_CASE === undefined ? undefined : Number(process.env.FUZZ_CASE);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 3);
/** FUZZ_MATCH=<text>: only the cases whose "operation — kind" contains it. */
const MATCH = process.env.FUZZ_MATCH;
const BODY_LIMIT_BYTES = 256 * 1024;

describe('route fuzzer (every operation in /api/docs-json)', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  const uncaught: Array<{ inFlight: number[]; err: unknown }> = [];
  const inFlight = new Set<number>();
  const record = (err: unknown) => uncaught.push({ inFlight: [...inFlight], err });

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp(createApp, { env: { ...emu.env, BODY_LIMIT: '256kb' }, migrations: MIGRATIONS, listen: true });
    // The API process survives these through its process guard (main.ts); here they are recorded as failures.
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
  });
  afterAll(async () => {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
    await t?.close();
    await emu?.close();
  });

  it('answers every hostile request with a 2xx–4xx in the API’s error shape, and never crashes', async () => {
    const doc = (await t.http.get('/api/docs-json').expect(200)).body as OpenApiDocument;
    const owner = await makeSession(t.dataSource, t.http, { role: 'owner', isOperator: true, plan: 'unlimited' });
    const other = await makeSession(t.dataSource, t.http, { role: 'owner' });
    const viewerKey = (await makeApiKey(t.dataSource, other.tenant, { role: 'viewer', createdBy: other.user })).key;
    const roles: FuzzRole[] = [
      { name: 'unauthenticated', headers: {} },
      { name: 'viewer (API key)', headers: { 'x-api-key': viewerKey } },
      { name: 'owner (JWT, operator)', headers: owner.auth },
    ];
    let cases = fuzzCases(doc, {
      seed: SEED,
      roles,
      bodyLimitBytes: BODY_LIMIT_BYTES,
      wrongValuesPerProperty: 1,
      valuesPerParam: 6,
      hugeStringBytes: 64 * 1024,
    });
    expect(new Set(cases.map((c) => c.operation)).size).toBe(Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0));
    if (ONLY !== undefined) cases = cases.filter((c) => c.id === ONLY);
    if (MATCH) cases = cases.filter((c) => `${c.operation} — ${c.kind}`.includes(MATCH));

    const results: FuzzResult[] = await runFuzz(t.url as string, cases, {
      concurrency: CONCURRENCY,
      timeoutMs: 15_000,
      onStart: (c) => inFlight.add(c.id),
      onResult: (r) => inFlight.delete(r.case.id),
    });
    // A moment for errors that a case left behind (a stream that fails after the answer).
    await new Promise((r) => setTimeout(r, 200));

    const failures = results.filter((r) => r.failure);
    const report = [
      `${cases.length} cases over ${new Set(cases.map((c) => c.operation)).size} operations × ${roles.length} roles, seed ${SEED}`,
      ...failures.map((r) => describeFailure(r, SEED)),
      ...uncaught.map((u) => `✗ uncaught in the process while cases ${u.inFlight.join(', ')} ran: ${u.err instanceof Error ? u.err.stack : String(u.err)}`),
    ].join('\n');
    if (failures.length || uncaught.length) throw new Error(report);
    // The app is still fine after all of it.
    await t.http.get('/health').expect(200);
  });
});
