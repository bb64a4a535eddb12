import { makeSession, startTestApp, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('plans: fair-share weights and caps are editable data', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(createApp, { migrations: MIGRATIONS });
  });
  afterAll(() => t.close());

  it('each plan lists its weight and cap; the defaults rank unlimited > pro > free', async () => {
    const s = await makeSession(t.dataSource, t.http, { role: 'viewer' });
    const res = await t.http.get('/api/v1/plans').set(s.auth).expect(200);
    const byPlan = Object.fromEntries((res.body as Array<{ plan: string; fairShareWeight: number; maxRunningItems: number | null }>).map((p) => [p.plan, p]));
    expect(byPlan['free']).toMatchObject({ fairShareWeight: 1, maxRunningItems: 10 });
    expect(byPlan['pro']).toMatchObject({ fairShareWeight: 2, maxRunningItems: 100 });
    expect(byPlan['unlimited']).toMatchObject({ fairShareWeight: 4, maxRunningItems: null });
  });

  it('the operator changes them; bad values are a 400 naming the field; other tenants get 403', async () => {
    const operator = await makeSession(t.dataSource, t.http, { role: 'owner', isOperator: true, plan: 'unlimited' });
    const changed = await t.http.put('/api/v1/plans/pro').set(operator.auth).send({ fairShareWeight: 3, maxRunningItems: 25 }).expect(200);
    expect(changed.body).toMatchObject({ plan: 'pro', fairShareWeight: 3, maxRunningItems: 25 });
    const uncapped = await t.http.put('/api/v1/plans/pro').set(operator.auth).send({ maxRunningItems: null }).expect(200);
    expect(uncapped.body).toMatchObject({ fairShareWeight: 3, maxRunningItems: null });
    const bad = await t.http.put('/api/v1/plans/pro').set(operator.auth).send({ fairShareWeight: 0, maxRunningItems: 0 }).expect(400);
    expect(JSON.stringify(bad.body.message)).toMatch(/fairShareWeight/);
    expect(JSON.stringify(bad.body.message)).toMatch(/maxRunningItems/);
    const other = await makeSession(t.dataSource, t.http, { role: 'owner' });
    await t.http.put('/api/v1/plans/pro').set(other.auth).send({ fairShareWeight: 9 }).expect(403);
    await t.http.put('/api/v1/plans/pro').set(operator.auth).send({ fairShareWeight: 2, maxRunningItems: 100 }).expect(200);
  });
});
