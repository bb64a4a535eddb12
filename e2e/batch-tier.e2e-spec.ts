// The deferred tier from the outside: a deferrable job on a cluster (API, worker and emulator as separate
// processes) completes through the provider's Batch API, every call booked once in the ledger at half the
// live price, and the job's results are those of the batch answers.
import { startCluster, type Cluster } from './support/cluster';

jest.setTimeout(240_000);

interface JobBody {
  status: string;
  completedItems: number;
  failedItems: number;
  totalItems: number;
  costUsd: number;
  tier?: string;
  deferrable?: boolean | null;
  waiting?: boolean;
  waitingReason?: string | null;
}

const songs = [1, 2, 3, 4].map((i) => ({
  title: `Batch hymn ${i}`,
  artist: 'The Deferred Choir',
  lyrics: `Verse ${i}: we wait upon the morning light\nChorus: patience is a song we sing ${i}`,
}));

describe('batch tier: a deferrable job completes through the OpenAI Batch API at half price', () => {
  let c: Cluster;
  const auth = () => ({ authorization: `Bearer ${c.owner.token}` });

  beforeAll(async () => {
    c = await startCluster({
      workers: 1,
      emulator: { timeScale: 0 },
      // flush a model's queue a moment after its first request, poll often: the whole path in seconds
      env: { BATCH_FLUSH_MAX_AGE_MS: '300', BATCH_POLL_INTERVAL_MS: '250', BATCH_MIN_WINDOW_SECONDS: '3600' },
    });
    const knobs = await fetch(`${c.emulatorUrl}/_emulator/batches`, { method: 'POST', body: JSON.stringify({ completionDelayMs: 1500 }) });
    expect(knobs.status).toBe(200);
    // this tenant's song analyses go to gpt-4o-mini (the default policy would run them locally, for free)
    const policy = await c.api(
      'PUT',
      '/api/v1/router/policy',
      { scope: 'tenant', cells: [{ operation: 'analyze', complexity: 'simple', candidates: ['openai/gpt-4o-mini'] }] },
      auth(),
    );
    expect(policy.status).toBe(200);
  });
  afterAll(() => c?.stop());

  it('queues, batches, polls and completes; the ledger says tier "batch" at exactly half the live price', async () => {
    const started = Date.now();
    const created = await c.api<{ id: string }>('POST', '/api/v1/jobs', { profile: 'song-analysis', deferrable: true, items: songs }, auth());
    expect(created.status).toBe(202);
    const jobId = created.body.id;

    const snaps: JobBody[] = [];
    let job: JobBody;
    for (;;) {
      job = (await c.api<JobBody>('GET', `/api/v1/jobs/${jobId}`, undefined, auth())).body;
      snaps.push(job);
      if (['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(job.status)) break;
      if (Date.now() - started > 55_000) throw new Error(`job not done in time: ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(job).toMatchObject({ status: 'completed', completedItems: 4, failedItems: 0, tier: 'batch', deferrable: true });
    const trace = await c.db.query(`SELECT tier FROM llm_calls WHERE job_id = $1`, [jobId]);
    expect(trace.rows).toEqual([{ tier: 'batch' }, { tier: 'batch' }, { tier: 'batch' }, { tier: 'batch' }]);
    // while the batch ran, the job said what its items waited for
    expect(snaps.some((s) => s.waiting === true && /batch tier of openai\/gpt-4o-mini/.test(s.waitingReason ?? ''))).toBe(true);

    // the provider saw one batch (or more), all completed
    const stats = (await (await fetch(`${c.emulatorUrl}/_emulator/stats`)).json()) as { batches: { openai: Record<string, number> } };
    expect(stats.batches.openai['completed']).toBeGreaterThanOrEqual(1);
    expect(Object.keys(stats.batches.openai)).toEqual(['completed']);

    // one ledger row per item, tier batch, priced at gpt-4o-mini's batch price: $0.075 in / $0.30 out per million
    const calls = await c.api<{ data: Array<{ itemId: string; tier: string; outcome: string; model: string; costUsd: number }> }>(
      'GET',
      `/api/v1/costs/calls?jobId=${jobId}&limit=50`,
      undefined,
      auth(),
    );
    expect(calls.status).toBe(200);
    expect(calls.body.data).toHaveLength(4);
    expect(new Set(calls.body.data.map((r) => r.itemId)).size).toBe(4);
    for (const row of calls.body.data) expect(row).toMatchObject({ tier: 'batch', outcome: 'success', model: 'openai/gpt-4o-mini' });
    const exact = await c.db.query(
      `SELECT cost_usd::text AS cost, input_tokens, cached_input_tokens, output_tokens, attempt_id FROM llm_calls WHERE job_id = $1`,
      [jobId],
    );
    let totalPico = 0n;
    for (const r of exact.rows as Array<{ cost: string; input_tokens: number; cached_input_tokens: number; output_tokens: number; attempt_id: string }>) {
      expect(r.attempt_id).toMatch(/^batch:/);
      // live: 0.15 / 0.075 (cached) / 0.60 per million tokens → pico-dollars per token 150,000 / 75,000 / 600,000; batch is half
      const livePico = BigInt(r.input_tokens - r.cached_input_tokens) * 150_000n + BigInt(r.cached_input_tokens) * 75_000n + BigInt(r.output_tokens) * 600_000n;
      const batchPico = BigInt(r.cost.replace('.', ''));
      expect(batchPico * 2n).toBe(livePico);
      expect(batchPico).toBeGreaterThan(0n);
      totalPico += batchPico;
    }
    // the job's cost is the sum of its batch calls
    expect(Math.round(job.costUsd * 1e6)).toBe(Number((totalPico + 500_000n) / 1_000_000n));

    const results = await c.api<Array<{ index: number; status: string; result: { score: number; verdict: string } }>>(
      'GET',
      `/api/v1/jobs/${jobId}/results?format=json`,
      undefined,
      auth(),
    );
    expect(results.status).toBe(200);
    const list = Array.isArray(results.body) ? results.body : (results.body as unknown as { data: typeof results.body }).data;
    expect(list).toHaveLength(4);
    for (const r of list) expect(r.result).toMatchObject({ score: expect.any(Number), verdict: expect.any(String) });
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
