// Job submission with its JSON body streamed: items validated, hashed and inserted in chunks in one transaction.
import { AnalyzeService, inputHash } from '@margin/analysis';
import { makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

const song = (tag: string, i: number) => ({ title: `${tag} hymn ${i}`, artist: `The ${tag} Singers`, lyrics: `Verse ${i}: grace — “mercy” é 😀\nChorus ${i}` });

describe('job submission (streamed body, chunked insert)', () => {
  let emu: RunningEmulator;
  let t: TestApp;

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp((c) => createApp(c), { env: emu.env, migrations: MIGRATIONS });
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  const counts = async (tenantId: string) => {
    const [row] = (await t.dataSource.query(
      `SELECT (SELECT count(*)::int FROM jobs WHERE tenant_id = $1) AS jobs, (SELECT count(*)::int FROM job_items WHERE tenant_id = $1) AS items`,
      [tenantId],
    )) as Array<{ jobs: number; items: number }>;
    return row;
  };

  it('stores every item of a 2,500-item job in order, with its content hash, across several chunks', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    const items = Array.from({ length: 2500 }, (_, i) => song('order', i));
    // `items` before `profile`: the body is taken in any key order
    const res = await t.http
      .post('/api/v1/jobs')
      .set(s.auth)
      .send({ items, name: 'chunks', profile: 'song-analysis', priority: 'low', budgetUsd: 1.25, metadata: { source: 'test' } })
      .expect(202);
    expect(res.body).toMatchObject({
      status: 'queued',
      totalItems: 2500,
      priority: 'low',
      estimate: { costUsd: expect.any(Number), seconds: expect.any(Number) },
    });
    const rows = (await t.dataSource.query(`SELECT index, input, input_hash, status FROM job_items WHERE job_id = $1 ORDER BY index`, [res.body.id])) as Array<{
      index: number;
      input: unknown;
      input_hash: string;
      status: string;
    }>;
    expect(rows).toHaveLength(2500);
    rows.forEach((r, i) => {
      expect(r.index).toBe(i);
      expect(r.input).toEqual(items[i]);
      expect(r.input_hash).toBe(inputHash('song-analysis', 1, items[i]));
      expect(r.status).toBe('queued');
    });
    const job = await t.http.get(`/api/v1/jobs/${res.body.id}`).set(s.auth).expect(200);
    expect(job.body).toMatchObject({ name: 'chunks', profile: 'song-analysis', priority: 'low', totalItems: 2500, status: 'queued' });
    const [dbJob] = (await t.dataSource.query(`SELECT budget_usd::text AS budget, metadata, created_at FROM jobs WHERE id = $1`, [res.body.id])) as Array<{
      budget: string;
      metadata: unknown;
      created_at: Date;
    }>;
    expect(dbJob).toMatchObject({ budget: '1.250000', metadata: { source: 'test' } });
    expect(Math.abs(dbJob!.created_at.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('an invalid item near the end of a 2,500-item job: a 400 naming it by index and field, and nothing stored', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    const items: Array<Record<string, unknown>> = Array.from({ length: 2500 }, (_, i) => song('bad', i));
    items[2398] = { title: 'No lyrics', artist: 'X' };
    items[2499] = { ...song('bad', 2499), title: 5 };
    const res = await t.http.post('/api/v1/jobs').set(s.auth).send({ profile: 'song-analysis', items }).expect(400);
    expect(res.body.message).toEqual(['items.2398.lyrics is required', 'items.2499.title must be a string']);
    expect(await counts(s.tenant.id)).toEqual({ jobs: 0, items: 0 });
    const notObject = await t.http
      .post('/api/v1/jobs')
      .set(s.auth)
      .send({ profile: 'song-analysis', items: [song('x', 1), 'a string'], priority: 'urgent' })
      .expect(400);
    expect(notObject.body.message).toEqual(
      expect.arrayContaining(['priority must be one of the following values: high, medium, low, auto', 'each value in items must be an object']),
    );
    const unknown = await t.http
      .post('/api/v1/jobs')
      .set(s.auth)
      .send({ profile: 'no-such-profile', items: [{}] })
      .expect(404);
    expect(unknown.body.message).toMatch(/no-such-profile/);
    await t.http.post('/api/v1/jobs').set(s.auth).send({ profile: 'song-analysis', items: [] }).expect(400);
    const malformed = await t.http
      .post('/api/v1/jobs')
      .set(s.auth)
      .set('content-type', 'application/json')
      .send('{"profile":"song-analysis","items":[{"title":"a",}]}')
      .expect(400);
    expect(JSON.stringify(malformed.body.message)).toMatch(/items\[0\]/);
    expect(await counts(s.tenant.id)).toEqual({ jobs: 0, items: 0 });
  });

  it('plan limits still refuse a job too big for the plan (403), with nothing stored', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'free' });
    const res = await t.http
      .post('/api/v1/jobs')
      .set(s.auth)
      .send({ profile: 'song-analysis', items: Array.from({ length: 1200 }, (_, i) => song('free', i)) })
      .expect(403);
    expect(res.body.message).toMatch(/free plan allows at most 50 items per job; this job has 1200/);
    expect(await counts(s.tenant.id)).toEqual({ jobs: 0, items: 0 });
  });

  it('Idempotency-Key: a replay (in any key order) is the same job with 200, a different body 409, and nothing is stored twice', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    const items = Array.from({ length: 1500 }, (_, i) => song('idem', i));
    const body = { profile: 'song-analysis', name: 'import', items };
    const first = await t.http.post('/api/v1/jobs').set(s.auth).set('Idempotency-Key', 'import-42').send(body).expect(202);
    const again = await t.http
      .post('/api/v1/jobs')
      .set(s.auth)
      .set('Idempotency-Key', 'import-42')
      .send({ items, name: 'import', profile: 'song-analysis@1' })
      .expect(200);
    expect(again.body).toMatchObject({ id: first.body.id, totalItems: 1500 });
    await t.http
      .post('/api/v1/jobs')
      .set(s.auth)
      .set('Idempotency-Key', 'import-42')
      .send({ ...body, name: 'other' })
      .expect(409);
    await t.http
      .post('/api/v1/jobs')
      .set(s.auth)
      .set('Idempotency-Key', 'import-42')
      .send({ ...body, items: items.slice(1) })
      .expect(409);
    const twins = await Promise.all([1, 2].map(() => t.http.post('/api/v1/jobs').set(s.auth).set('Idempotency-Key', 'race-1').send(body)));
    expect(twins.map((r) => r.status).sort()).toEqual([200, 202]);
    expect(twins[0]!.body.id).toBe(twins[1]!.body.id);
    expect(await counts(s.tenant.id)).toEqual({ jobs: 2, items: 3000 });
  });

  it('multipart uploads (CSV) and the estimate still work', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    const csv = 'title,artist,lyrics\nAmazing Grace,John Newton,"Amazing grace, how sweet"\nAbide,Lyte,Fast falls the eventide\n';
    const res = await t.http
      .post('/api/v1/jobs')
      .set(s.auth)
      .field('profile', 'song-analysis')
      .field('name', 'csv')
      .attach('file', Buffer.from(csv), 'songs.csv')
      .expect(202);
    expect(res.body.totalItems).toBe(2);
    const rows = (await t.dataSource.query(`SELECT input FROM job_items WHERE job_id = $1 ORDER BY index`, [res.body.id])) as Array<{ input: unknown }>;
    expect(rows.map((r) => r.input)).toEqual([
      { title: 'Amazing Grace', artist: 'John Newton', lyrics: 'Amazing grace, how sweet' },
      { title: 'Abide', artist: 'Lyte', lyrics: 'Fast falls the eventide' },
    ]);
    const estimate = await t.http
      .post('/api/v1/jobs/estimate')
      .set(s.auth)
      .send({ profile: 'song-analysis', items: [song('est', 1), song('est', 2)] })
      .expect(200);
    expect(estimate.body).toMatchObject({ cacheHits: 0, steps: expect.any(Array) });
    expect(estimate.body.steps[0].calls).toBe(2);
  });

  it('POST /analyze answered from the cache: the hit is counted and its saving booked (in batches), for whichever tenant asked', async () => {
    const a = await makeSession(t.dataSource, t.http, { plan: 'unlimited', role: 'member' });
    const b = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    const input = song('analyze', 1);
    const first = await t.http.post('/api/v1/analyze').set(a.auth).send({ profile: 'song-analysis', input }).expect(200);
    expect(first.body).toMatchObject({ cached: false, costUsd: expect.any(Number) });
    // a hit saves what the premium counterfactual would have cost for the answer (the entry keeps it; Postgres
    // prices the saving): give the entry a known one
    const [[entry]] = (await t.dataSource.query(
      `UPDATE analysis_cache SET original_cost_usd = 0.000000000001, counterfactual_cost_usd = 0.000123456789 WHERE input_hash = $1
       RETURNING original_cost_usd::text AS cost, hit_count`,
      [inputHash('song-analysis', 1, input)],
    )) as [Array<{ cost: string; hit_count: number }>, number];
    expect(entry!.hit_count).toBe(0);
    const hits = await Promise.all([a, a, b].map((s) => t.http.post('/api/v1/analyze').set(s.auth).send({ profile: 'song-analysis', input }).expect(200)));
    for (const h of hits) expect(h.body).toMatchObject({ cached: true, costUsd: 0, result: first.body.result, model: first.body.model });
    await t.app.get(AnalyzeService).flushHits();
    const [after] = (await t.dataSource.query(`SELECT hit_count, last_hit_at FROM analysis_cache WHERE input_hash = $1`, [
      inputHash('song-analysis', 1, input),
    ])) as Array<{ hit_count: number; last_hit_at: Date | null }>;
    expect(after!.hit_count).toBe(3);
    expect(after!.last_hit_at).not.toBeNull();
    const saved = async (tenantId: string) =>
      (
        (await t.dataSource.query(`SELECT coalesce(sum(amount_usd), 0)::text AS total FROM cost_savings WHERE tenant_id = $1`, [tenantId])) as Array<{
          total: string;
        }>
      )[0]!.total;
    expect(await saved(a.tenant.id)).toBe('0.000246913578');
    expect(await saved(b.tenant.id)).toBe('0.000123456789');
    const costs = await t.http.get('/api/v1/costs/summary').set(b.auth).expect(200);
    expect(costs.body.savedByCacheUsd).toBe(0.000123);
    // input problems are still a 400 naming the field; no credentials a 401
    const bad = await t.http
      .post('/api/v1/analyze')
      .set(a.auth)
      .send({ profile: 'song-analysis', input: { title: 'x', artist: 'y' } })
      .expect(400);
    expect(bad.body.message).toEqual(['input.lyrics is required']);
    await t.http.post('/api/v1/analyze').send({ profile: 'song-analysis', input }).expect(401);
  });
});
