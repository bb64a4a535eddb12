// Analysis jobs end to end: the API, two worker processes and the LLM emulator as separate processes.
import Ajv from 'ajv';
import { io, type Socket } from 'socket.io-client';
import { startCluster, type Cluster } from './support/cluster';

jest.setTimeout(240_000);

const song = (tag: string, i: number) => ({
  title: `${tag} hymn ${i}`,
  artist: `The ${tag} Singers`,
  lyrics: `Verse ${i}: grace and mercy carry us home\nChorus: we sing of hope in the morning light ${i}`,
});

interface Counters {
  jobId: string;
  status: string;
  total: number;
  completed: number;
  failed: number;
  cached: number;
  percentage: number;
  costUsd: number;
}

describe('analysis jobs', () => {
  let c: Cluster;
  let key: string;
  const auth = () => ({ authorization: `Bearer ${c.owner.token}` });

  const waitForJob = async (id: string, headers: Record<string, string> = { 'x-api-key': key }, timeoutMs = 120_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const job = await c.api<{ status: string; completedItems: number; totalItems: number }>('GET', `/api/v1/jobs/${id}`, undefined, headers);
      if (['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(job.body.status)) return job.body;
      if (Date.now() > until) throw new Error(`job ${id} did not finish: ${JSON.stringify(job.body)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    // Every model answers in ~120 ms with 10 parallel slots (the built-in models have slower defaults).
    const fast = { latencyMs: 120, tokensPerSecond: 5000, parallel: 10, rpm: 0, tpm: 0 };
    const models = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'].map((name) => ({
      name,
      ...fast,
    }));
    c = await startCluster({ workers: 2, emulator: { defaults: fast, models } });
    const created = await c.api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'e2e jobs' }, auth());
    key = created.body.key;
    // The operator tells Margin how many requests the local GPU serves at once (OLLAMA_NUM_PARALLEL).
    for (const model of ['ollama/qwen3:8b', 'ollama/llama3.1:8b']) {
      const res = await c.api('PUT', `/api/v1/router/models/${encodeURIComponent(model)}`, { maxConcurrency: 10 }, auth());
      expect(res.status).toBe(200);
    }
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('a 50-song playlist streams progress over socket.io and completes with valid results', async () => {
    const socket: Socket = io(`${c.url}/progress`, { transports: ['websocket'], auth: { apiKey: key } });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const progress: Counters[] = [];
    const items: unknown[] = [];
    socket.on('job.progress', (e: Counters) => progress.push(e));
    socket.on('item.completed', (e: unknown) => items.push(e));
    const completed = new Promise<Counters>((resolve) => socket.on('job.completed', resolve));

    const submit = await c.api<{ id: string; status: string; totalItems: number; estimate: { costUsd: number; seconds: number } }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'song-analysis', name: 'Sunday worship playlist', items: Array.from({ length: 50 }, (_, i) => song('playlist', i)) },
      { 'x-api-key': key },
    );
    expect(submit.status).toBe(202);
    expect(submit.body).toMatchObject({ status: 'queued', totalItems: 50, priority: 'high' });
    const ack = await socket.emitWithAck('subscribe', { jobId: submit.body.id });
    expect(ack).toMatchObject({ ok: true, job: { jobId: submit.body.id, total: 50 } });

    const final = await completed;
    expect(final).toMatchObject({ jobId: submit.body.id, status: 'completed', total: 50, completed: 50, failed: 0, percentage: 100 });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ completed: 50, percentage: 100 });
    socket.close();

    const job = await c.api<{ completedItems: number; costUsd: number; status: string }>('GET', `/api/v1/jobs/${submit.body.id}`, undefined, {
      'x-api-key': key,
    });
    expect(job.body).toMatchObject({ status: 'completed', completedItems: 50 });
    const profiles = await c.api<Array<{ key: string; outputSchema: Record<string, unknown> }>>('GET', '/api/v1/profiles', undefined, { 'x-api-key': key });
    const schema = profiles.body.find((p) => p.key === 'song-analysis')?.outputSchema;
    const validate = new Ajv({ strict: false }).compile(schema ?? {});
    const results = await c.api<Array<{ index: number; status: string; result: unknown }>>(
      'GET',
      `/api/v1/jobs/${submit.body.id}/results?format=json`,
      undefined,
      { 'x-api-key': key },
    );
    expect(results.body).toHaveLength(50);
    for (const r of results.body) {
      expect(r.status).toBe('completed');
      expect(validate(r.result)).toBe(true);
    }
    const csv = await c.api<string>('GET', `/api/v1/jobs/${submit.body.id}/results?format=csv`, undefined, { 'x-api-key': key });
    expect(csv.body.split('\n').filter(Boolean)).toHaveLength(51);
  });

  it('two tenants’ jobs sharing 30 songs, run at once on two workers, make exactly one emulator call per distinct song', async () => {
    const other = await c.api<{ accessToken: string }>('POST', '/api/v1/auth/signup', {
      email: 'second@e2e.test',
      password: 'second-tenant-pw',
      tenantName: 'Second',
    });
    // The second tenant needs a plan that allows 40 items; the operator's owner grants it.
    const me = await c.api<{ tenant: { id: string } }>('GET', '/api/v1/auth/me', undefined, { authorization: `Bearer ${other.body.accessToken}` });
    await c.api('PATCH', `/api/v1/tenants/${me.body.tenant.id}`, { plan: 'unlimited' }, auth());
    const shared = Array.from({ length: 30 }, (_, i) => song('shared', i));
    const a = [...shared, ...Array.from({ length: 10 }, (_, i) => song('only-a', i))];
    const b = [...Array.from({ length: 10 }, (_, i) => song('only-b', i)), ...shared];
    const before = await c.emulatorRequests();
    const [ja, jb] = await Promise.all([
      c.api<{ id: string }>('POST', '/api/v1/jobs', { profile: 'song-analysis', items: a }, auth()),
      c.api<{ id: string }>('POST', '/api/v1/jobs', { profile: 'song-analysis', items: b }, { authorization: `Bearer ${other.body.accessToken}` }),
    ]);
    expect([ja.status, jb.status]).toEqual([202, 202]);
    const [fa, fb] = await Promise.all([waitForJob(ja.body.id, auth()), waitForJob(jb.body.id, { authorization: `Bearer ${other.body.accessToken}` })]);
    expect([fa.status, fb.status]).toEqual(['completed', 'completed']);
    expect((await c.emulatorRequests()) - before).toBe(50);
    const cached = await c.db.query(`SELECT sum(cached_items)::int AS n FROM jobs WHERE id = ANY($1)`, [[ja.body.id, jb.body.id]]);
    expect(cached.rows[0].n).toBe(30);
    // Each tenant's dashboard figures count its own items; together the cache served the 30 shared songs.
    const statsA = await c.api<{ completed: number; cached: number; cacheHitRate: number }>('GET', '/api/v1/jobs/stats', undefined, auth());
    const statsB = await c.api<{ completed: number; cached: number }>('GET', '/api/v1/jobs/stats', undefined, {
      authorization: `Bearer ${other.body.accessToken}`,
    });
    expect(statsB.body.completed).toBe(40);
    expect(statsA.body.cached + statsB.body.cached).toBeGreaterThanOrEqual(30);
    expect(statsA.body.cacheHitRate).toBeGreaterThanOrEqual(0);
  });

  it('cacheScope "tenant": a job with private inputs neither reads nor feeds the cache shared between tenants', async () => {
    const signup = await c.api<{ accessToken: string }>('POST', '/api/v1/auth/signup', {
      email: 'private@e2e.test',
      password: 'private-tenant-pw',
      tenantName: 'Private',
    });
    const priv = { authorization: `Bearer ${signup.body.accessToken}` };
    const public5 = Array.from({ length: 5 }, (_, i) => song('public', i));
    const private5 = Array.from({ length: 5 }, (_, i) => song('confidential', i));
    // The operator's tenant analyses five public songs: they are in the shared cache.
    const pub = await c.api<{ id: string }>('POST', '/api/v1/jobs', { profile: 'song-analysis', items: public5 }, auth());
    expect((await waitForJob(pub.body.id, auth())).status).toBe('completed');
    const estimate = (headers: Record<string, string>, items: unknown[], cacheScope?: string) =>
      c.api<{ cacheHits: number }>('POST', '/api/v1/jobs/estimate', { profile: 'song-analysis', items, ...(cacheScope ? { cacheScope } : {}) }, headers);
    expect((await estimate(priv, public5)).body.cacheHits).toBe(5);
    expect((await estimate(priv, public5, 'tenant')).body.cacheHits).toBe(0);

    const before = await c.emulatorRequests();
    const job = await c.api<{ id: string }>('POST', '/api/v1/jobs', { profile: 'song-analysis', cacheScope: 'tenant', items: [...public5, ...private5] }, priv);
    expect(job.status).toBe(202);
    const done = await waitForJob(job.body.id, priv);
    expect(done).toMatchObject({ status: 'completed', cachedItems: 0, cacheScope: 'tenant' });
    expect((await c.emulatorRequests()) - before).toBe(10); // the public songs ran again, for this tenant only
    // Its results are its own: another tenant's lookups miss them, its own next private job hits them.
    expect((await estimate(auth(), private5)).body.cacheHits).toBe(0);
    expect((await estimate(priv, private5, 'tenant')).body.cacheHits).toBe(5);
    const analyzed = await c.api<{ cached: boolean }>('POST', '/api/v1/analyze', { profile: 'song-analysis', input: private5[0], cacheScope: 'tenant' }, priv);
    expect(analyzed.body.cached).toBe(true);
    const elsewhere = await c.api<{ cached: boolean }>('POST', '/api/v1/analyze', { profile: 'song-analysis', input: private5[1] }, auth());
    expect(elsewhere.body.cached).toBe(false);
    // A per-tenant profile cannot be shared by a job's say-so.
    const refused = await c.api<{ message: string[]; code: string }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'blog-post', cacheScope: 'global', items: [{ topic: 'x' }] },
      priv,
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'cache_scope_not_allowed',
      message: [expect.stringMatching(/^cacheScope "global" is not available for profile blog-post/)],
    });
  });

  it('a worker killed with SIGKILL mid-job: the job still completes, every item once, no ledger duplicates', async () => {
    const submit = await c.api<{ id: string }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'song-analysis', items: Array.from({ length: 60 }, (_, i) => song('crash', i)) },
      { 'x-api-key': key },
    );
    for (;;) {
      const job = await c.api<{ completedItems: number }>('GET', `/api/v1/jobs/${submit.body.id}`, undefined, { 'x-api-key': key });
      if (job.body.completedItems >= 5) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const victim = c.workers[0];
    victim?.kill('SIGKILL');
    const final = await waitForJob(submit.body.id);
    expect(final).toMatchObject({ status: 'completed', completedItems: 60, totalItems: 60 });
    const items = await c.db.query(`SELECT status, count(*)::int AS n FROM job_items WHERE job_id = $1 GROUP BY status`, [submit.body.id]);
    expect(items.rows).toEqual([{ status: 'completed', n: 60 }]);
    const dupes = await c.db.query(
      `SELECT item_id, count(*)::int AS n FROM llm_calls WHERE job_id = $1 AND outcome = 'success' GROUP BY item_id HAVING count(*) > 1`,
      [submit.body.id],
    );
    expect(dupes.rows).toEqual([]);
    const booked = await c.db.query(`SELECT count(DISTINCT item_id)::int AS n FROM llm_calls WHERE job_id = $1 AND outcome = 'success'`, [submit.body.id]);
    expect(booked.rows[0].n).toBe(60);
    await c.startWorker(); // back to two workers for the rest
  });

  it('cancel stops the items not yet started, at $0', async () => {
    const slow = Array.from({ length: 80 }, (_, i) => song('cancel', i));
    const submit = await c.api<{ id: string }>('POST', '/api/v1/jobs', { profile: 'song-analysis', items: slow, priority: 'low' }, { 'x-api-key': key });
    for (;;) {
      const job = await c.api<{ completedItems: number }>('GET', `/api/v1/jobs/${submit.body.id}`, undefined, { 'x-api-key': key });
      if (job.body.completedItems >= 3) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    const cancelled = await c.api<{ status: string; cancelledItems: number }>('POST', `/api/v1/jobs/${submit.body.id}/cancel`, undefined, { 'x-api-key': key });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.cancelledItems).toBeGreaterThan(0);
    // Items that were already running finish; nothing else starts.
    const closed = await waitForJob(submit.body.id);
    expect(closed.status).toBe('cancelled');
    for (let i = 0; i < 100; i++) {
      const open = await c.db.query(`SELECT count(*)::int AS n FROM job_items WHERE job_id = $1 AND status IN ('queued', 'running')`, [submit.body.id]);
      if (open.rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rows = await c.db.query(
      `SELECT count(*)::int AS n FROM llm_calls c JOIN job_items i ON i.id = c.item_id WHERE i.job_id = $1 AND i.status = 'cancelled'`,
      [submit.body.id],
    );
    expect(rows.rows[0].n).toBe(0);
    const job = await c.api<{ status: string; completedItems: number; cancelledItems: number; totalItems: number }>(
      'GET',
      `/api/v1/jobs/${submit.body.id}`,
      undefined,
      { 'x-api-key': key },
    );
    expect(job.body.status).toBe('cancelled');
    expect(job.body.completedItems + job.body.cancelledItems).toBe(80);
  });

  it('invalid items are a 400 listing each bad item and field, and nothing is stored', async () => {
    const before = await c.db.query(`SELECT count(*)::int AS n FROM jobs`);
    const res = await c.api<{ message: string[] }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'song-analysis', items: [song('ok', 1), { title: 'No lyrics', artist: 'X' }, { title: 5, artist: 'Y', lyrics: 'z' }] },
      { 'x-api-key': key },
    );
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual(expect.arrayContaining(['items.1.lyrics is required', 'items.2.title must be a string']));
    expect((await c.db.query(`SELECT count(*)::int AS n FROM jobs`)).rows[0].n).toBe(before.rows[0].n);
    const unknown = await c.api<{ message: string }>('POST', '/api/v1/jobs', { profile: 'no-such-profile', items: [{}] }, { 'x-api-key': key });
    expect(unknown.status).toBe(404);
  });

  it('plans: a free tenant gets one job a month of at most 50 items, on local models only', async () => {
    const free = await c.api<{ accessToken: string }>('POST', '/api/v1/auth/signup', {
      email: 'free@e2e.test',
      password: 'free-tenant-pw',
      tenantName: 'Free Church',
    });
    const h = { authorization: `Bearer ${free.body.accessToken}` };
    const tooBig = await c.api<{ message: string }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'song-analysis', items: Array.from({ length: 51 }, (_, i) => song('free-big', i)) },
      h,
    );
    expect(tooBig.status).toBe(403);
    expect(tooBig.body.message).toMatch(/free plan allows at most 50 items per job/);
    const first = await c.api<{ id: string }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'song-analysis', items: Array.from({ length: 5 }, (_, i) => song('free', i)) },
      h,
    );
    expect(first.status).toBe(202);
    const second = await c.api<{ message: string }>('POST', '/api/v1/jobs', { profile: 'song-analysis', items: [song('free-again', 1)] }, h);
    expect(second.status).toBe(429);
    expect(second.body.message).toMatch(/1 job\(s\) a month .* resets at/);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    await waitForJob(first.body.id, h);
    const models = await c.db.query(`SELECT DISTINCT model_id FROM llm_calls WHERE job_id = $1`, [first.body.id]);
    expect(models.rows.every((r: { model_id: string }) => r.model_id.startsWith('ollama/'))).toBe(true);
    const me = await c.api<{ usage: { jobs: number; items: number; limits: { maxJobsPerMonth: number } } }>('GET', '/api/v1/auth/me', undefined, h);
    expect(me.body.usage).toMatchObject({ jobs: 1, items: 5, limits: { maxJobsPerMonth: 1 } });
  });

  it('a blog post that fails the quality gate is refined one tier up', async () => {
    const topics = Array.from({ length: 6 }, (_, i) => ({
      topic: `Hymns in modern worship, part ${i}`,
      audience: 'worship leaders',
      tone: 'warm',
      keywords: ['hymns', 'worship'],
    }));
    const submit = await c.api<{ id: string }>('POST', '/api/v1/jobs', { profile: 'blog-post', items: topics }, auth());
    expect(submit.status).toBe(202);
    const final = await waitForJob(submit.body.id, auth());
    expect(final.status).toBe('completed');
    const refines = await c.db.query(`SELECT model_id FROM llm_calls WHERE job_id = $1 AND operation = 'refine' AND outcome = 'success'`, [submit.body.id]);
    expect(refines.rows.length).toBeGreaterThan(0);
    // refine is `medium` (a standard model); escalated one tier it is `complex` (a premium model).
    expect(refines.rows.some((r: { model_id: string }) => r.model_id === 'anthropic/claude-sonnet-4-5')).toBe(true);
    const results = await c.api<Array<{ result: { title: string; slug: string; content: string; scores: { overall: number }; rounds: number } }>>(
      'GET',
      `/api/v1/jobs/${submit.body.id}/results`,
      undefined,
      auth(),
    );
    expect(results.body.some((r) => r.result.rounds > 0)).toBe(true);
    for (const r of results.body)
      expect(r.result).toMatchObject({ title: expect.any(String), slug: expect.stringMatching(/^[a-z0-9-]+$/), content: expect.any(String) });
  });

  it('Idempotency-Key: the same request gives the same job (200), a different body 409', async () => {
    const body = { profile: 'song-analysis', items: [song('idem', 1)] };
    const first = await c.api<{ id: string }>('POST', '/api/v1/jobs', body, { 'x-api-key': key, 'idempotency-key': 'import-42' });
    const again = await c.api<{ id: string }>('POST', '/api/v1/jobs', body, { 'x-api-key': key, 'idempotency-key': 'import-42' });
    expect([first.status, again.status]).toEqual([202, 200]);
    expect(again.body.id).toBe(first.body.id);
    const different = await c.api('POST', '/api/v1/jobs', { ...body, name: 'other' }, { 'x-api-key': key, 'idempotency-key': 'import-42' });
    expect(different.status).toBe(409);
  });

  it('a high-priority job submitted behind a 10,000-item low-priority backlog starts within about one item’s time', async () => {
    const backlog = Array.from({ length: 10_000 }, (_, i) => song('backlog', i));
    const t0 = Date.now();
    const low = await c.api<{ id: string }>('POST', '/api/v1/jobs', { profile: 'song-analysis', name: 'archive import', items: backlog }, { 'x-api-key': key });
    expect(low.status).toBe(202);
    const acceptedMs = Date.now() - t0;
    expect(acceptedMs).toBeLessThan(20_000);
    for (;;) {
      const job = await c.api<{ completedItems: number; priority: string }>('GET', `/api/v1/jobs/${low.body.id}`, undefined, { 'x-api-key': key });
      expect(job.body.priority).toBe('low');
      if (job.body.completedItems >= 20) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const submitted = Date.now();
    const high = await c.api<{ id: string; priority: string }>(
      'POST',
      '/api/v1/jobs',
      { profile: 'song-analysis', priority: 'high', items: [song('urgent', 1)] },
      { 'x-api-key': key },
    );
    expect(high.body.priority).toBe('high');
    await waitForJob(high.body.id);
    const waited = Date.now() - submitted;
    const [times] = (await c.db.query(`SELECT extract(epoch FROM started_at - created_at) * 1000 AS start_ms FROM jobs WHERE id = $1`, [high.body.id])).rows;
    // One item takes ~150-250 ms here; the urgent item starts when the next slot frees, not after the backlog.
    expect(Number(times.start_ms)).toBeLessThan(600);
    expect(waited).toBeLessThan(1500);
    await c.api('POST', `/api/v1/jobs/${low.body.id}/cancel`, undefined, { 'x-api-key': key });
  });
});
