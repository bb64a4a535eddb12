// KPIs, time series, revenue (manual, CSV, Stripe) and the daily roll-up, against a seeded ledger: every money
// figure equals the ledger's exact sums, and the roll-up is idempotent and recomputable.
import { ManualClock, picoToDecimal, usdToPico } from '@margin/core';
import { RollupService } from '@margin/metrics';
import { makeSession, makeTenant, startTestApp, type TestApp } from '@margin/testing';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

const STRIPE_SECRET = 'whsec_test_metrics_0123456789abcdef';

describe('metrics: KPIs, time series, revenue and roll-ups', () => {
  let t: TestApp;
  const clock = new ManualClock(new Date('2026-12-10T12:00:00Z'));
  let admin: Awaited<ReturnType<typeof makeSession>>;
  let other: Awaited<ReturnType<typeof makeTenant>>;

  const call = async (tenantId: string, at: string, costUsd: string, premiumUsd: string | null = null, outcome = 'success') =>
    t.dataSource.query(
      `INSERT INTO llm_calls (attempt_id, tenant_id, operation, provider_id, model_id, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens,
         cost_usd, premium_model_id, premium_cost_usd, latency_ms, outcome, created_at)
       VALUES ($1, $2, 'analyze', 'openai', 'openai/gpt-4o-mini', 100, 0, 50, 0, $3, $4, $5, 10, $6, $7)`,
      [randomUUID(), tenantId, costUsd, premiumUsd ? 'openai/gpt-4o' : null, premiumUsd, outcome, at],
    );
  const item = async (tenantId: string, jobId: string, index: number, status: string, cached: boolean, finishedAt: string) =>
    t.dataSource.query(
      `INSERT INTO job_items (id, job_id, tenant_id, index, input, input_hash, status, cached, finished_at) VALUES ($1, $2, $3, $4, '{}', $5, $6, $7, $8)`,
      [randomUUID(), jobId, tenantId, index, 'h'.repeat(64), status, cached, finishedAt],
    );
  const ledgerSum = async (tenantId: string, from: string, to: string): Promise<string> => {
    const [{ total }] = await t.dataSource.query(
      `SELECT coalesce(sum(cost_usd), 0)::text AS total FROM llm_calls WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3`,
      [tenantId, from, to],
    );
    return picoToDecimal(usdToPico(total));
  };
  const sumExact = (points: Array<{ exact?: string }>) => picoToDecimal(points.reduce((s, p) => s + usdToPico(p.exact ?? '0'), 0n));

  beforeAll(async () => {
    t = await startTestApp((c) => createApp(c, { clock }), { env: { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET }, migrations: MIGRATIONS });
    admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const tid = admin.tenant.id;
    // three days of calls with amounts whose float sum would drift
    for (const [at, cost, premium] of [
      ['2026-12-07T01:00:00Z', '0.100000000001', '0.3'],
      ['2026-12-07T23:59:59.999Z', '0.200000000002', null],
      ['2026-12-08T10:00:00Z', '0.000000000007', '0.000000000010'],
      ['2026-12-09T05:00:00Z', '1.333333333333', null],
      ['2026-12-10T11:00:00Z', '0.5', '2.5'],
    ] as const)
      await call(tid, at, cost, premium);
    await call(tid, '2026-12-08T11:00:00Z', '0', null, 'timeout');
    // two scored calls (the assess steps' scores on the answers they judged)
    await t.dataSource.query(
      `UPDATE llm_calls SET quality = CASE WHEN created_at < '2026-12-10' THEN 80 ELSE 91 END WHERE tenant_id = $1 AND created_at IN ($2, $3)`,
      [tid, '2026-12-09T05:00:00Z', '2026-12-10T11:00:00Z'],
    );
    await t.dataSource.query(
      `INSERT INTO cost_savings (key, tenant_id, kind, amount_usd, created_at) VALUES ($1, $2, 'cache', '0.25', '2026-12-08T12:00:00Z')`,
      [randomUUID(), tid],
    );
    const jobId = randomUUID();
    await t.dataSource.query(
      `INSERT INTO jobs (id, tenant_id, profile_key, profile_version, status, priority, total_items, created_at, finished_at)
       VALUES ($1, $2, 'song-analysis', 1, 'completed_with_errors', 'medium', 4, '2026-12-07T00:30:00Z', '2026-12-08T13:00:00Z')`,
      [jobId, tid],
    );
    await item(tid, jobId, 0, 'completed', false, '2026-12-07T02:00:00Z');
    await item(tid, jobId, 1, 'completed', true, '2026-12-08T02:00:00Z');
    await item(tid, jobId, 2, 'completed', true, '2026-12-08T03:00:00Z');
    await item(tid, jobId, 3, 'failed', false, '2026-12-08T13:00:00Z');
    // another tenant's spend in the same days never shows
    other = await makeTenant(t.dataSource);
    await call(other.id, '2026-12-08T10:00:00Z', '99');
  });
  afterAll(() => t.close());

  it('KPIs: financial.costUsd equals /costs/summary totalUsd for the same range, and the ledger exactly', async () => {
    for (const [from, to] of [
      ['2026-12-07T00:00:00.000Z', '2026-12-10T12:00:00.000Z'],
      ['2026-12-07T12:00:00.000Z', '2026-12-09T06:00:00.000Z'],
    ]) {
      const k = await t.http.get('/api/v1/metrics/kpis').query({ from, to }).set(admin.auth).expect(200);
      const s = await t.http.get('/api/v1/costs/summary').query({ from, to }).set(admin.auth).expect(200);
      expect(k.body.financial.costUsd).toBe(s.body.totalUsd);
      expect(k.body.financial.savedUsd).toBe(s.body.savedUsd);
      expect(k.body.financial.costUsdExact).toBe(await ledgerSum(admin.tenant.id, from, to));
    }
    const k = await t.http.get('/api/v1/metrics/kpis').query({ from: '2026-12-07T00:00:00Z', to: '2026-12-10T12:00:00Z' }).set(admin.auth).expect(200);
    expect(k.body.business).toMatchObject({
      jobsCreated: 1,
      jobsCompleted: 1,
      itemsAnalyzed: 3,
      itemsFailed: 1,
      itemsCached: 2,
      cacheHitRate: 0.666667,
      llmCalls: 6,
    });
    expect(k.body.financial.costUsdExact).toBe('2.133333333343');
    // cost vs quality per model and operation: the same ledger rows, with the scores recorded on them
    expect(k.body.costVsQuality).toEqual([
      {
        model: 'openai/gpt-4o-mini',
        operation: 'analyze',
        calls: 6,
        costUsd: 2.133333,
        costUsdExact: '2.133333333343',
        costPerCallUsd: 0.355556,
        scoredCalls: 2,
        avgQuality: 85.5,
      },
    ]);
    expect(k.body.business.avgQualityScore).toBe(85.5);
    expect(k.body.financial).toMatchObject({ revenueUsd: 0, roi: -1, roiReason: null, costPerItemUsd: 0.711111, costPerPostUsd: null });
    expect(k.body.marketing).toEqual({ postsCreated: 0, postsPublished: 0, deliveriesFailed: 0, endpointsActive: 0, source: 'publishing' });

    // marketing figures are publishing's: posts created, posts published and deliveries failed in the range, endpoints enabled now
    const q = (sql: string, params: unknown[]) => t.dataSource.query(sql, params) as Promise<Array<{ id: string }>>;
    const endpoint = async (tenantId: string, name: string, enabled: boolean) =>
      (
        await q(
          `INSERT INTO publishing_endpoints (tenant_id, type, name, url, enabled) VALUES ($1, 'webhook', $2, 'https://hooks.example.com/m', $3) RETURNING id`,
          [tenantId, name, enabled],
        )
      )[0]!.id;
    const post = async (tenantId: string, slug: string, at: string) =>
      (
        await q(`INSERT INTO posts (tenant_id, title, content, slug, created_at, updated_at) VALUES ($1, $2, 'Body', $2, $3, $3) RETURNING id`, [
          tenantId,
          slug,
          at,
        ])
      )[0]!.id;
    const delivery = (tenantId: string, postId: string, endpointId: string, status: string, at: string) =>
      q(
        `INSERT INTO deliveries (tenant_id, post_id, endpoint_id, status, published_at, updated_at) VALUES ($1, $2, $3, $4::text, CASE WHEN $4::text = 'published' THEN $5::timestamptz END, $5)`,
        [tenantId, postId, endpointId, status, at],
      );
    const [e1, e2] = [await endpoint(admin.tenant.id, 'one', true), await endpoint(admin.tenant.id, 'two', true)];
    await endpoint(admin.tenant.id, 'off', false);
    const p1 = await post(admin.tenant.id, 'in-range', '2026-12-08T09:00:00Z');
    const p2 = await post(admin.tenant.id, 'before', '2026-12-01T09:00:00Z');
    await delivery(admin.tenant.id, p1, e1, 'published', '2026-12-08T10:00:00Z');
    await delivery(admin.tenant.id, p1, e2, 'published', '2026-12-08T11:00:00Z');
    await delivery(admin.tenant.id, p2, e1, 'failed', '2026-12-09T01:00:00Z');
    await delivery(admin.tenant.id, p2, e2, 'published', '2026-12-02T01:00:00Z');
    const stranger = await endpoint(other.id, 'theirs', true);
    await delivery(other.id, await post(other.id, 'theirs', '2026-12-08T09:00:00Z'), stranger, 'published', '2026-12-08T10:00:00Z');
    const m = await t.http.get('/api/v1/metrics/kpis').query({ from: '2026-12-07T00:00:00Z', to: '2026-12-10T12:00:00Z' }).set(admin.auth).expect(200);
    expect(m.body.marketing).toEqual({ postsCreated: 1, postsPublished: 1, deliveriesFailed: 1, endpointsActive: 2, source: 'publishing' });
    expect(m.body.financial.costPerPostUsd).toBeGreaterThan(0);
    // default range = the summary's default (this month so far)
    const d = await t.http.get('/api/v1/metrics/kpis').set(admin.auth).expect(200);
    const ds = await t.http.get('/api/v1/costs/summary').set(admin.auth).expect(200);
    expect(d.body.financial.costUsd).toBe(ds.body.totalUsd);
    await t.http.get('/api/v1/metrics/kpis').query({ from: '2026-12-09T00:00:00Z', to: '2026-12-08T00:00:00Z' }).set(admin.auth).expect(400);
    const bad = await t.http.get('/api/v1/metrics/kpis').query({ from: 'yesterday' }).set(admin.auth).expect(400);
    expect(bad.body.message).toEqual(expect.arrayContaining([expect.stringContaining('from')]));
  });

  it('time series: day and hour points sum exactly to the ledger over the aligned range; rates per bucket', async () => {
    const q = { from: '2026-12-07T00:00:00Z', to: '2026-12-10T12:00:00Z' };
    const day = await t.http
      .get('/api/v1/metrics/timeseries')
      .query({ ...q, metric: 'cost_usd', granularity: 'day' })
      .set(admin.auth)
      .expect(200);
    expect(day.body.points.map((p: { t: string }) => p.t)).toEqual([
      '2026-12-07T00:00:00.000Z',
      '2026-12-08T00:00:00.000Z',
      '2026-12-09T00:00:00.000Z',
      '2026-12-10T00:00:00.000Z',
    ]);
    expect(sumExact(day.body.points)).toBe(await ledgerSum(admin.tenant.id, '2026-12-07T00:00:00Z', '2026-12-11T00:00:00Z'));
    expect(day.body.totalExact).toBe(sumExact(day.body.points));
    expect(day.body.points[0].exact).toBe('0.300000000003');
    const hour = await t.http
      .get('/api/v1/metrics/timeseries')
      .query({ ...q, metric: 'cost_usd', granularity: 'hour' })
      .set(admin.auth)
      .expect(200);
    expect(hour.body.points).toHaveLength(3 * 24 + 12);
    expect(sumExact(hour.body.points)).toBe(await ledgerSum(admin.tenant.id, '2026-12-07T00:00:00Z', '2026-12-10T12:00:00Z'));
    const rate = await t.http
      .get('/api/v1/metrics/timeseries')
      .query({ ...q, metric: 'cache_hit_rate' })
      .set(admin.auth)
      .expect(200);
    expect(rate.body.points.map((p: { value: number | null }) => p.value)).toEqual([0, 1, null, null]);
    const items = await t.http
      .get('/api/v1/metrics/timeseries')
      .query({ ...q, metric: 'items' })
      .set(admin.auth)
      .expect(200);
    expect(items.body.total).toBe(3);
    const saved = await t.http
      .get('/api/v1/metrics/timeseries')
      .query({ ...q, metric: 'saved_usd' })
      .set(admin.auth)
      .expect(200);
    const summary = await t.http.get('/api/v1/costs/summary').query({ from: '2026-12-07T00:00:00Z', to: '2026-12-11T00:00:00Z' }).set(admin.auth).expect(200);
    expect(saved.body.total).toBe(summary.body.savedUsd);
    const tooMany = await t.http
      .get('/api/v1/metrics/timeseries')
      .query({ metric: 'items', granularity: 'hour', from: '2026-01-01T00:00:00Z', to: '2026-12-01T00:00:00Z' })
      .set(admin.auth);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.code).toBe('invalid_range');
    const badMetric = await t.http.get('/api/v1/metrics/timeseries').query({ metric: 'nope' }).set(admin.auth).expect(400);
    expect(badMetric.body.message).toEqual(expect.arrayContaining([expect.stringContaining('metric')]));
  });

  it('the daily roll-up is idempotent, read for settled days, and recomputable after a late row', async () => {
    const rollups = t.app.get(RollupService);
    const q = { from: '2026-12-07T00:00:00Z', to: '2026-12-10T00:00:00Z', metric: 'cost_usd', granularity: 'day' };
    const live = (await t.http.get('/api/v1/metrics/timeseries').query(q).set(admin.auth).expect(200)).body;
    for (const day of ['2026-12-07', '2026-12-08', '2026-12-09']) await rollups.rollupDay(day);
    const rows = async () =>
      t.dataSource.query(`SELECT day::text, cost_usd::text, items_completed, items_cached FROM daily_metrics WHERE tenant_id = $1 ORDER BY day`, [
        admin.tenant.id,
      ]);
    const first = await rows();
    for (const day of ['2026-12-07', '2026-12-08', '2026-12-09']) await rollups.rollupDay(day);
    expect(await rows()).toEqual(first);
    expect(first).toEqual([
      { day: '2026-12-07', cost_usd: '0.300000000003', items_completed: 1, items_cached: 0 },
      { day: '2026-12-08', cost_usd: '0.000000000007', items_completed: 2, items_cached: 2 },
      { day: '2026-12-09', cost_usd: '1.333333333333', items_completed: 0, items_cached: 0 },
    ]);
    expect((await t.http.get('/api/v1/metrics/timeseries').query(q).set(admin.auth).expect(200)).body).toEqual(live);
    // a row booked late for a rolled-up day: the settled roll-up stands until the day is recomputed
    await call(admin.tenant.id, '2026-12-08T20:00:00Z', '0.01');
    const stale = (await t.http.get('/api/v1/metrics/timeseries').query(q).set(admin.auth).expect(200)).body;
    expect(stale.totalExact).toBe(live.totalExact);
    await rollups.rollupDay('2026-12-08');
    const fresh = (await t.http.get('/api/v1/metrics/timeseries').query(q).set(admin.auth).expect(200)).body;
    expect(fresh.totalExact).toBe(await ledgerSum(admin.tenant.id, '2026-12-07T00:00:00Z', '2026-12-10T00:00:00Z'));
    expect(fresh.points[1].exact).toBe('0.010000000007');
  });

  it('revenue by hand and by CSV makes ROI real; a re-imported file books nothing twice', async () => {
    const session = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await call(session.tenant.id, '2026-12-09T10:00:00Z', '2');
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: session.tenant });
    await t.http.post('/api/v1/metrics/revenue').set(member.auth).send({ amountUsd: 1, occurredAt: '2026-12-09T00:00:00Z', source: 'manual' }).expect(403);
    const bad = await t.http.post('/api/v1/metrics/revenue').set(session.auth).send({ amountUsd: 'x', occurredAt: 'soon', source: 'Bad Source' }).expect(400);
    expect(bad.body.message).toEqual(
      expect.arrayContaining([expect.stringContaining('amountUsd'), expect.stringContaining('occurredAt'), expect.stringContaining('source')]),
    );
    const created = await t.http
      .post('/api/v1/metrics/revenue')
      .set(session.auth)
      .send({ amountUsd: 4.5, occurredAt: '2026-12-09T08:00:00Z', source: 'manual', note: 'sponsor' })
      .expect(201);
    expect(created.body).toMatchObject({ amountUsd: 4.5, amountUsdExact: '4.500000000000', source: 'manual', note: 'sponsor' });
    const csv = 'amountUsd,occurredAt,source,externalId\n0.75,2026-12-09T09:00:00Z,ads,row-1\n0.25,2026-12-09T10:00:00Z,,row-2\n';
    const imported = await t.http.post('/api/v1/metrics/revenue/import').set(session.auth).attach('file', Buffer.from(csv), 'revenue.csv').expect(201);
    expect(imported.body).toEqual({ imported: 2, skipped: 0 });
    const again = await t.http.post('/api/v1/metrics/revenue/import').set(session.auth).attach('file', Buffer.from(csv), 'revenue.csv').expect(201);
    expect(again.body).toEqual({ imported: 0, skipped: 2 });
    const broken = await t.http
      .post('/api/v1/metrics/revenue/import')
      .set(session.auth)
      .attach('file', Buffer.from('amountUsd,occurredAt\n1,2026-12-09T00:00:00Z\nabc,2026-12-09T00:00:00Z\n'), 'r.csv')
      .expect(400);
    expect(broken.body.message).toEqual(['rows.2.amountUsd must be a USD amount with at most 6 decimals']);
    const k = await t.http.get('/api/v1/metrics/kpis').query({ from: '2026-12-09T00:00:00Z', to: '2026-12-10T00:00:00Z' }).set(session.auth).expect(200);
    // revenue 5.5, cost 2: ROI 1.75
    expect(k.body.financial).toMatchObject({ revenueUsd: 5.5, costUsd: 2, profitUsd: 3.5, roi: 1.75, roiReason: null });
    const none = await t.http.get('/api/v1/metrics/kpis').query({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }).set(session.auth).expect(200);
    expect(none.body.financial).toMatchObject({ costUsd: 0, roi: null, roiReason: 'no_cost' });
    const series = await t.http
      .get('/api/v1/metrics/timeseries')
      .query({ metric: 'revenue_usd', from: '2026-12-09T00:00:00Z', to: '2026-12-10T00:00:00Z' })
      .set(session.auth)
      .expect(200);
    expect(series.body.points).toEqual([{ t: '2026-12-09T00:00:00.000Z', value: 5.5, exact: '5.500000000000' }]);
  });

  it('Stripe webhook: a valid signature books once per event id; tampered or replayed-late deliveries are refused', async () => {
    const operator = await makeTenant(t.dataSource, { isOperator: true, plan: 'unlimited' });
    const target = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const event = (id: string, over: Record<string, unknown> = {}) =>
      JSON.stringify({
        id,
        object: 'event',
        type: 'charge.succeeded',
        created: Math.floor(new Date('2026-12-09T15:00:00Z').getTime() / 1000),
        data: { object: { id: `ch_${id}`, object: 'charge', amount: 1999, currency: 'usd', invoice: null, metadata: { margin_tenant_id: target.tenant.id } } },
        ...over,
      });
    const send = (payload: string, header: string) =>
      t.http.post('/api/v1/integrations/stripe/webhook').set('Content-Type', 'application/json').set('Stripe-Signature', header).send(payload);
    const sign = (payload: string, timestamp?: number) => Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET, timestamp });

    const payload = event('evt_1');
    const ok = await send(payload, sign(payload)).expect(200);
    expect(ok.body).toEqual({ received: true, booked: true });
    const replay = await send(payload, sign(payload)).expect(200);
    expect(replay.body).toEqual({ received: true, booked: false, reason: 'event already booked' });
    const tampered = payload.replace('1999', '999999');
    const refused = await send(tampered, sign(payload)).expect(400);
    expect(refused.body.code).toBe('invalid_signature');
    await send(payload, sign(payload, Math.floor(Date.now() / 1000) - 3600)).expect(400);
    await t.http.post('/api/v1/integrations/stripe/webhook').set('Content-Type', 'application/json').send(payload).expect(400);
    // an invoice's own charge is left to invoice.paid; no tenant hint: the operator's tenant
    const invoiceCharge = event('evt_2', { data: { object: { id: 'ch_2', object: 'charge', amount: 500, currency: 'usd', invoice: 'in_1', metadata: {} } } });
    expect((await send(invoiceCharge, sign(invoiceCharge)).expect(200)).body.booked).toBe(false);
    const invoice = event('evt_3', {
      type: 'invoice.paid',
      data: { object: { id: 'in_1', object: 'invoice', amount_paid: 500, currency: 'usd', metadata: {} } },
    });
    expect((await send(invoice, sign(invoice)).expect(200)).body.booked).toBe(true);
    const rows = await t.dataSource.query(
      `SELECT tenant_id, amount_usd::text, source, external_id FROM revenue_entries WHERE source = 'stripe' ORDER BY external_id`,
    );
    expect(rows).toEqual([
      { tenant_id: target.tenant.id, amount_usd: '19.990000000000', source: 'stripe', external_id: 'evt_1' },
      { tenant_id: operator.id, amount_usd: '5.000000000000', source: 'stripe', external_id: 'evt_3' },
    ]);
    // other JSON routes still parse their bodies as before
    await t.http.put('/api/v1/budget').set(target.auth).send({ monthlyLimitUsd: 3 }).expect(200);
  });
});
