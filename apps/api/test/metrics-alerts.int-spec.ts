// Alert rules over REST: admins replace them (every problem named), members read, the webhook secret is
// stored encrypted and never returned; GET /alerts lists the tenant's incidents only.
import { makeSession, makeTenant, startTestApp, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('alert rules and alerts (REST)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp((c) => createApp(c), { migrations: MIGRATIONS });
  });
  afterAll(() => t.close());

  it('PUT/GET /alerts/rules: validation, roles, the webhook secret kept encrypted and never shown', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: admin.tenant });
    expect((await t.http.get('/api/v1/alerts/rules').set(member.auth).expect(200)).body).toEqual({ rules: [], webhook: null });
    const rules = [
      { id: 'backlog', kind: 'queue_depth', threshold: 500 },
      { id: 'errors', kind: 'failure_rate', threshold: 0.1, windowMinutes: 30 },
      { id: 'spend', kind: 'daily_spend', threshold: 25 },
      { id: 'circuits', kind: 'circuit_open', enabled: false },
    ];
    await t.http.put('/api/v1/alerts/rules').set(member.auth).send({ rules }).expect(403);
    const bad = await t.http
      .put('/api/v1/alerts/rules')
      .set(admin.auth)
      .send({ rules: [{ id: 'x', kind: 'failure_rate', threshold: 5 }], webhook: { url: 'ftp://nope', secret: 'short' } })
      .expect(400);
    expect(bad.body.message).toEqual(
      expect.arrayContaining([
        'rules.0.threshold must be between 0 and 1',
        'webhook.url must be an http(s) URL',
        'webhook.secret must be a string of 16 to 200 characters',
      ]),
    );
    const refused = await t.http
      .put('/api/v1/alerts/rules')
      .set(admin.auth)
      .send({ rules, webhook: { url: 'http://127.0.0.1:9/hook' } })
      .expect(400);
    expect(refused.body.message.join(' ')).toContain('webhook.url is not allowed');
    const saved = await t.http
      .put('/api/v1/alerts/rules')
      .set(admin.auth)
      .send({ rules, webhook: { url: 'https://hooks.example.com/margin', secret: 'a-very-secret-webhook-key', format: 'slack' } })
      .expect(200);
    expect(saved.body.webhook).toEqual({ url: 'https://hooks.example.com/margin', format: 'slack', secretSet: true });
    expect(saved.body.rules).toHaveLength(4);
    expect(JSON.stringify(saved.body)).not.toContain('a-very-secret-webhook-key');
    const [row] = await t.dataSource.query(`SELECT webhook_secret FROM alert_rules WHERE tenant_id = $1`, [admin.tenant.id]);
    expect(row.webhook_secret).not.toContain('a-very-secret-webhook-key');
    // omitting the webhook keeps it
    const kept = await t.http
      .put('/api/v1/alerts/rules')
      .set(admin.auth)
      .send({ rules: rules.slice(0, 1) })
      .expect(200);
    expect(kept.body.webhook.secretSet).toBe(true);
  });

  it('GET /alerts: only the caller tenant’s incidents, newest first, filterable by state', async () => {
    const a = await makeSession(t.dataSource, t.http, { role: 'viewer' });
    const other = await makeTenant(t.dataSource);
    const insert = (tenantId: string, rule: string, state: string, at: string) =>
      t.dataSource.query(
        `INSERT INTO alerts (tenant_id, rule_id, kind, subject, state, value, threshold, started_at, resolved_at) VALUES ($1, $2, 'queue_depth', 'analysis', $3, 9, 5, $4, $5)`,
        [tenantId, rule, state, at, state === 'resolved' ? at : null],
      );
    await insert(a.tenant.id, 'old', 'resolved', '2026-12-01T00:00:00Z');
    await insert(a.tenant.id, 'new', 'firing', '2026-12-02T00:00:00Z');
    await insert(other.id, 'theirs', 'firing', '2026-12-03T00:00:00Z');
    const all = await t.http.get('/api/v1/alerts').set(a.auth).expect(200);
    expect(all.body.map((x: { rule: string }) => x.rule)).toEqual(['new', 'old']);
    expect(all.body[0]).toMatchObject({ rule: 'new', kind: 'queue_depth', state: 'firing', value: 9, threshold: 5, subject: 'analysis', resolvedAt: null });
    const firing = await t.http.get('/api/v1/alerts').query({ state: 'firing' }).set(a.auth).expect(200);
    expect(firing.body.map((x: { rule: string }) => x.rule)).toEqual(['new']);
    await t.http.get('/api/v1/alerts').query({ state: 'nope' }).set(a.auth).expect(400);
  });
});
