// Infrastructure faults mid-job, against a cluster (API + 2 workers + emulator) on a Redis and a PostgreSQL
// of this test's own: no worker at all, Redis restarted without its data, Postgres restarted. Each time the
// job completes, every item once, and the ledger agrees with the counters (no call booked twice).
import { Client } from 'pg';
import { startCluster, type Cluster } from './support/cluster';
import { startPrivatePostgres, startPrivateRedis, type PrivateService } from './support/private-services';

jest.setTimeout(180_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const song = (tag: string, i: number) => ({
  title: `${tag} hymn ${i}`,
  artist: `The ${tag} Singers`,
  lyrics: `Verse ${i}: steady through the storm we go\nChorus: ${tag} cannot stop the song ${i}`,
});

interface JobView {
  status: string;
  completedItems: number;
  failedItems: number;
  totalItems: number;
}

describe('faults mid-job (private Redis and Postgres)', () => {
  let redis: PrivateService;
  let pg: PrivateService;
  let c: Cluster;
  let key: string;
  let dbUrl: string;

  const job = async (id: string) => (await c.api<JobView>('GET', `/api/v1/jobs/${id}`, undefined, { 'x-api-key': key })).body;
  const submit = async (tag: string, n: number) => {
    const res = await c.api<{ id: string }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'song-analysis', items: Array.from({ length: n }, (_, i) => song(tag, i)) },
      { 'x-api-key': key },
    );
    expect(res.status).toBe(202);
    return res.body.id;
  };
  /** Polls through the outage: a failed request (the API's own dependency is down) is retried. */
  const waitFor = async (id: string, check: (j: JobView) => boolean, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    let last: JobView | undefined;
    for (;;) {
      try {
        last = await job(id);
        if (last && check(last)) return last;
      } catch {
        /* the API is waiting for Redis or Postgres */
      }
      if (Date.now() > end) throw new Error(`job ${id} did not get there in time: ${JSON.stringify(last)}`);
      await sleep(250);
    }
  };
  const finished = (j: JobView) => ['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(j.status);

  /** Every item completed once; one success booked per item, no attempt booked twice; counters agree with the rows. */
  async function expectConsistent(id: string, n: number) {
    const db = new Client({ connectionString: dbUrl });
    db.on('error', () => undefined);
    await db.connect();
    try {
      const items = await db.query(`SELECT status, count(*)::int AS n FROM job_items WHERE job_id = $1 GROUP BY status`, [id]);
      expect(items.rows).toEqual([{ status: 'completed', n }]);
      const dupes = await db.query(`SELECT item_id FROM llm_calls WHERE job_id = $1 AND outcome = 'success' GROUP BY item_id HAVING count(*) > 1`, [id]);
      expect(dupes.rows).toEqual([]);
      const attempts = await db.query(`SELECT attempt_id FROM llm_calls WHERE job_id = $1 GROUP BY attempt_id HAVING count(*) > 1`, [id]);
      expect(attempts.rows).toEqual([]);
      const booked = await db.query(`SELECT count(DISTINCT item_id)::int AS n FROM llm_calls WHERE job_id = $1 AND outcome = 'success'`, [id]);
      // an item served from the cache made no call of its own
      const counters = await db.query(`SELECT completed_items, failed_items, cached_items FROM jobs WHERE id = $1`, [id]);
      expect(counters.rows[0]).toMatchObject({ completed_items: n, failed_items: 0 });
      expect(booked.rows[0].n + counters.rows[0].cached_items).toBe(n);
    } finally {
      await db.end();
    }
  }

  beforeAll(async () => {
    [redis, pg] = await Promise.all([startPrivateRedis(), startPrivatePostgres()]);
    // ~400 ms a call and the local models' default 4 slots: a 60-song job runs for several seconds.
    const paced = { latencyMs: 400, tokensPerSecond: 5000, parallel: 10, rpm: 0, tpm: 0 };
    const models = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'].map((name) => ({
      name,
      ...paced,
    }));
    c = await startCluster({ workers: 0, emulator: { defaults: paced, models }, databaseUrl: pg.url, redisUrl: redis.url, env: { WORKER_CONCURRENCY: '4' } });
    c.db.on('error', () => undefined); // cut by the Postgres restart; the checks use their own connections
    dbUrl = c.env.DATABASE_URL as string;
    // The faults below hit these servers only: the cluster must be on them.
    expect(c.env.REDIS_URL).toBe(redis.url);
    expect(new URL(dbUrl).port).toBe(String(pg.port));
    key = (await c.api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'faults e2e' }, { authorization: `Bearer ${c.owner.token}` })).body.key;
  });
  afterAll(async () => {
    await c?.stop().catch(() => undefined);
    await Promise.all([redis?.stop(), pg?.stop()]);
  });

  it('with no worker at all the API stays up: jobs queue, /health is 200 and says workers: 0; a worker that starts runs them', async () => {
    const health = await c.api<{ status: string; details: { workers: { count: number; degraded?: boolean; message?: string } } }>('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect(health.body.details.workers).toMatchObject({ count: 0, degraded: true, message: expect.stringMatching(/queue until a worker starts/) });
    const id = await submit('queued', 10);
    await sleep(1_000);
    expect(await job(id)).toMatchObject({ status: 'queued', completedItems: 0 });
    await c.startWorker();
    await c.startWorker();
    const final = await waitFor(id, finished, 60_000);
    expect(final).toMatchObject({ status: 'completed', completedItems: 10 });
    await expectConsistent(id, 10);
  });

  it('Redis restarted without its data mid-job: the job completes, every item once, ledger consistent', async () => {
    const id = await submit('redis', 60);
    await waitFor(id, (j) => j.completedItems >= 5, 60_000);
    await redis.restart(2_000);
    // really mid-job when the queue was lost
    expect((await waitFor(id, () => true, 30_000)).completedItems).toBeLessThan(60);
    const final = await waitFor(id, finished, 150_000);
    expect(final).toMatchObject({ status: 'completed', completedItems: 60, failedItems: 0 });
    await expectConsistent(id, 60);
    expect((await c.api('GET', '/health')).status).toBe(200);
  });

  it('Postgres restarted mid-job: the job completes, every item once, ledger consistent', async () => {
    const id = await submit('postgres', 60);
    await waitFor(id, (j) => j.completedItems >= 5, 60_000);
    const started = async () => {
      const db = new Client({ connectionString: dbUrl });
      await db.connect();
      const { rows } = await db.query(`SELECT pg_postmaster_start_time()::text AS t, (SELECT completed_items FROM jobs WHERE id = $1) AS done`, [id]);
      await db.end();
      return rows[0] as { t: string; done: number };
    };
    const before = await started();
    await pg.restart(2_000);
    const after = await started();
    // really restarted, and really mid-job
    expect(after.t).not.toBe(before.t);
    expect(after.done).toBeLessThan(60);
    const final = await waitFor(id, finished, 150_000);
    expect(final).toMatchObject({ status: 'completed', completedItems: 60, failedItems: 0 });
    await expectConsistent(id, 60);
    expect((await c.api('GET', '/health')).status).toBe(200);
  });
});
