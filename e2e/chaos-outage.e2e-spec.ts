// Chaos: the model server goes away mid-job — unreachable (connection refused) for 60 s, and separately hung
// for 150 s — on a real cluster (the API, two worker processes and the emulator as separate processes). The
// jobs wait it out: they complete with 0 failed items, and no call is booked twice.
import { startCluster, type Cluster } from './support/cluster';
import { FaultyLink } from './support/faulty-link';

jest.setTimeout(480_000);

const song = (tag: string, i: number) => ({
  title: `${tag} psalm ${i}`,
  artist: `The ${tag} Choir`,
  lyrics: `Verse ${i}: the Lord is my shepherd, I shall not want\nChorus: goodness and mercy all my days ${i}`,
});

interface JobBody {
  status: string;
  completedItems: number;
  failedItems: number;
  totalItems: number;
  waiting?: boolean;
  waitingReason?: string | null;
  waitingUntil?: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chaos: the model server is unreachable or hung mid-job', () => {
  let c: Cluster;
  let link: FaultyLink;
  let key: string;

  const job = async (id: string) => (await c.api<JobBody>('GET', `/api/v1/jobs/${id}`, undefined, { 'x-api-key': key })).body;
  const until = async (id: string, done: (j: JobBody) => boolean, timeoutMs: number, onPoll?: (j: JobBody) => void) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const j = await job(id);
      onPoll?.(j);
      if (done(j)) return j;
      if (Date.now() > deadline) throw new Error(`job ${id} not there in time: ${JSON.stringify(j)}`);
      await sleep(250);
    }
  };
  const finished = (j: JobBody) => ['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(j.status);

  /** Each completed item's model call booked once: exactly one success row per item that ran, no attempt id twice. */
  const assertBookedOnce = async (jobId: string) => {
    const dupes = await c.db.query(`SELECT attempt_id FROM llm_calls WHERE job_id = $1 GROUP BY attempt_id HAVING count(*) > 1`, [jobId]);
    expect(dupes.rows).toEqual([]);
    const perItem = await c.db.query(
      `SELECT i.id, i.cached, (SELECT count(*)::int FROM llm_calls l WHERE l.item_id = i.id AND l.outcome = 'success') AS successes
       FROM job_items i WHERE i.job_id = $1`,
      [jobId],
    );
    for (const row of perItem.rows as Array<{ cached: boolean; successes: number }>) expect(row.successes).toBe(row.cached ? 0 : 1);
    const [sums] = (
      await c.db.query(
        `SELECT (SELECT cost_usd FROM jobs WHERE id = $1)::text AS job, (SELECT coalesce(sum(cost_usd), 0) FROM llm_calls WHERE job_id = $1)::text AS ledger`,
        [jobId],
      )
    ).rows as Array<{ job: string; ledger: string }>;
    expect(Number(sums?.ledger)).toBeCloseTo(Number(sums?.job), 9);
  };

  /** Submits 60 songs and waits until the job is under way (some done, most not). */
  const startJob = async (tag: string) => {
    const submit = await c.api<{ id: string }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'song-analysis', name: `${tag} outage`, items: Array.from({ length: 60 }, (_, i) => song(tag, i)) },
      { 'x-api-key': key },
    );
    expect(submit.status).toBe(202);
    const running = await until(submit.body.id, (j) => j.completedItems >= 8, 60_000);
    expect(running.completedItems).toBeLessThan(50);
    return submit.body.id;
  };

  beforeAll(async () => {
    link = await FaultyLink.open();
    // ~1.5 s per item and 10 at once: a 60-song job runs for ~10 s, long enough to cut the link mid-way.
    const pace = { latencyMs: 1500, tokensPerSecond: 5000, parallel: 10, rpm: 0, tpm: 0 };
    const models = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'].map((name) => ({
      name,
      ...pace,
    }));
    c = await startCluster({
      workers: 2,
      emulator: { defaults: pace, models },
      // Every provider reaches the model server through the link: when it is cut, nothing can fall back.
      env: {
        OLLAMA_BASE_URL: link.url,
        OPENAI_BASE_URL: `${link.url}/v1`,
        ANTHROPIC_BASE_URL: link.url,
        ...(process.env.E2E_REDIS_URL ? { REDIS_URL: process.env.E2E_REDIS_URL } : {}),
      },
    });
    link.pointAt(c.emulatorUrl);
    const auth = { authorization: `Bearer ${c.owner.token}` };
    key = (await c.api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'e2e chaos' }, auth)).body.key;
    for (const model of ['ollama/qwen3:8b', 'ollama/llama3.1:8b']) {
      expect((await c.api('PUT', `/api/v1/router/models/${encodeURIComponent(model)}`, { maxConcurrency: 10 }, auth)).status).toBe(200);
    }
  });
  afterAll(async () => {
    await c?.stop();
    await link?.close();
  });

  it('connection refused for 60 s mid-job: the job says it waits, then completes with 0 failed items, each call booked once', async () => {
    const id = await startJob('refused');
    await link.refuse();
    const cutAt = Date.now();
    const seen: JobBody[] = [];
    // While the server is away: nothing fails, and the job says it waits, why, and until when.
    while (Date.now() - cutAt < 60_000) {
      const j = await job(id);
      seen.push(j);
      expect(j.failedItems).toBe(0);
      await sleep(1000);
    }
    const waiting = seen.find((j) => j.waiting);
    expect(waiting).toBeDefined();
    expect(waiting?.waitingReason).toMatch(/ollama\/qwen3:8b/);
    expect(Number.isNaN(Date.parse(waiting?.waitingUntil ?? ''))).toBe(false);
    const health = await (await fetch(`${c.url}/health`)).json();
    expect(health.details.providers.providers.ollama).toMatchObject({ healthy: false, down: true });
    expect(health.details.providers.down).toContain('ollama');

    await link.restore();
    const final = await until(id, finished, 120_000);
    expect(final).toMatchObject({ status: 'completed', completedItems: 60, failedItems: 0, waiting: false });
    await assertBookedOnce(id);
  });

  it('hung for 150 s mid-job: waited out, the job completes with 0 failed items, each call booked once', async () => {
    const id = await startJob('frozen');
    link.freeze();
    const frozenAt = Date.now();
    while (Date.now() - frozenAt < 150_000) {
      expect((await job(id)).failedItems).toBe(0);
      await sleep(2000);
    }
    await link.restore();
    const final = await until(id, finished, 120_000);
    expect(final).toMatchObject({ status: 'completed', completedItems: 60, failedItems: 0 });
    await assertBookedOnce(id);
  });
});
