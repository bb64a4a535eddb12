// POST /analyze counts against the plan's monthly items like a job's items, cache hits included.
import { QuotaService } from '@margin/analysis';
import { monthPeriodUtc } from '@margin/core';
import { makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('/analyze and the monthly quota', () => {
  let emu: RunningEmulator;
  let t: TestApp;

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp(createApp, { env: emu.env, migrations: MIGRATIONS });
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  const song = (i: number) => ({ title: `Quota song ${i}`, artist: 'The Counters', lyrics: `verse ${i} about counting` });
  const usedItems = async (auth: { Authorization: string }) => (await t.http.get('/api/v1/auth/me').set(auth).expect(200)).body.usage.items as number;

  it('a free tenant: each call is one item of the month (a cache hit too), and past the limit it is a 429 with Retry-After', async () => {
    const s = await makeSession(t.dataSource, t.http, { role: 'owner', plan: 'free' });
    expect(await usedItems(s.auth)).toBe(0);
    await t.http
      .post('/api/v1/analyze')
      .set(s.auth)
      .send({ profile: 'song-analysis', input: song(1) })
      .expect(200);
    const again = await t.http
      .post('/api/v1/analyze')
      .set(s.auth)
      .send({ profile: 'song-analysis', input: song(1) })
      .expect(200);
    expect(again.body.cached).toBe(true);
    expect(await usedItems(s.auth)).toBe(2);
    // 48 more this month (the free plan allows 50)
    await t.dataSource.query(`UPDATE analyze_usage SET items = items + 47 WHERE tenant_id = $1`, [s.tenant.id]);
    await t.http
      .post('/api/v1/analyze')
      .set(s.auth)
      .send({ profile: 'song-analysis', input: song(1) })
      .expect(200);
    const refused = await t.http
      .post('/api/v1/analyze')
      .set(s.auth)
      .send({ profile: 'song-analysis', input: song(2) })
      .expect(429);
    expect(refused.body).toMatchObject({ code: 'quota_exceeded', message: expect.stringMatching(/free plan allows 50 items a month/) });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // and a job cannot take the last items either
    await t.http
      .post('/api/v1/jobs')
      .set(s.auth)
      .send({ profile: 'song-analysis', items: [song(3)] })
      .expect(429);
    expect(await usedItems(s.auth)).toBe(50);
  });

  it('a tenant without a monthly limit is counted too (in the background)', async () => {
    const s = await makeSession(t.dataSource, t.http, { role: 'owner', plan: 'unlimited' });
    for (let i = 0; i < 3; i++)
      await t.http
        .post('/api/v1/analyze')
        .set(s.auth)
        .send({ profile: 'song-analysis', input: song(10 + i) })
        .expect(200);
    await t.app.get(QuotaService).flushAnalyzeCounts();
    const [row] = (await t.dataSource.query(`SELECT items FROM analyze_usage WHERE tenant_id = $1 AND period_start = $2`, [
      s.tenant.id,
      monthPeriodUtc(new Date()).start,
    ])) as Array<{ items: number }>;
    expect(row?.items).toBe(3);
    expect(await usedItems(s.auth)).toBe(3);
  });
});
