// The route fuzzer in-process: every operation of the app's own OpenAPI document, for an unauthenticated
// client, a viewer (API key) and the operator's owner (JWT), against the real Postgres and Redis and the LLM
// emulator. Deterministic: one seed (FUZZ_SEED to change it), cases sent one at a time so that an uncaught
// error is pinned on the case that caused it. FUZZ_CASE=<id> runs a single case.
import { describeFailure, fuzzCases, isLeadOwnedJobsCase, makeApiKey, makeSession, runFuzz, startEmulator, startTestApp, type FuzzResult, type FuzzRole, type OpenApiDocument, type RunningEmulator, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';


jest.setTimeout(600_000);

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const ONLY = process.env.FUZZ_CASE === undefined ? undefined : Number(process.env.FUZZ_CASE);
/** FUZZ_MATCH=<text>: only the cases whose "operation — kind" contains it. */
const MATCH = process.env.FUZZ_MATCH;
const BODY_LIMIT_BYTES = 256 * 1024;

describe('route fuzzer (every operation in /api/docs-json)', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  const uncaught: Array<{ caseId: number | undefined; err: unknown }> = [];
  let current: number | undefined;
  const record = (err: unknown) => uncaught.push({ caseId: current, err });

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
    let cases = fuzzCases(doc, { seed: SEED, roles, bodyLimitBytes: BODY_LIMIT_BYTES, wrongValuesPerProperty: 1, valuesPerParam: 6 });
    expect(new Set(cases.map((c) => c.operation)).size).toBe(Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0));
    if (ONLY !== undefined) cases = cases.filter((c) => c.id === ONLY);
    if (MATCH) cases = cases.filter((c) => `${c.operation} — ${c.kind}`.includes(MATCH));
    // In-process, an uncaught stream error from the jobs route's own body decoding fails the whole Jest suite
    // (Jest takes it before any guard could): while the lead's rewrite of that path is pending, those few cases
    // are not sent here. The e2e fuzzer sends them to the real process (which must survive them) and lists them.
    const skipped = cases.filter((c) => isLeadOwnedJobsCase(c));
    cases = cases.filter((c) => !isLeadOwnedJobsCase(c));

    const results: FuzzResult[] = await runFuzz(t.url as string, cases, {
      concurrency: 1,
      timeoutMs: 15_000,
      onResult: (r) => {
        current = r.case.id + 1;
      },
    });
    current = undefined;
    // A moment for errors that a case left behind (a stream that fails after the answer).
    await new Promise((r) => setTimeout(r, 200));

    const unexpected = results.filter((r) => r.failure);
    const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 8);
    process.stdout.write(`fuzz: ${results.length} cases; slowest: ${slowest.map((r) => `${r.ms} ms #${r.case.id} ${r.case.operation} ${r.case.kind}`).join(' | ')}\n`);
    const crashes = uncaught;
    const report = [
      `${cases.length} cases over ${new Set(cases.map((c) => c.operation)).size} operations × ${roles.length} roles, seed ${SEED}`,
      ...unexpected.map((r) => describeFailure(r, SEED)),
      ...crashes.map((u) => `✗ uncaught in the process (near case ${u.caseId}): ${u.err instanceof Error ? u.err.stack : String(u.err)}`),
      ...(skipped.length ? [`(${skipped.length} cases on the jobs route's own gzip/nesting handling not sent: see libs/testing/src/fuzz-known.ts)`] : []),
    ].join('\n');
    if (unexpected.length || crashes.length) throw new Error(report);
    // The app is still fine after all of it.
    await t.http.get('/health').expect(200);
  });
});
