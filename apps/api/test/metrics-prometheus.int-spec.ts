// GET /metrics: the Prometheus exposition of the API process, fed by the ledger, the limiter and the HTTP
// middleware, with the deployment-wide gauges read on scrape; guarded by METRICS_TOKEN when it is set.
import { randomUUID } from 'node:crypto';
import { LlmExecutor } from '@margin/model-router';
import { makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

const TOKEN = 'metrics-token-0123456789';

/** The value of one sample (`name{labels} value`) whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics', () => {
  let emu: RunningEmulator;
  let t: TestApp;

  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp((c) => createApp(c), { env: { ...emu.env, METRICS_TOKEN: TOKEN, METRICS_INSTANCE: 'api-test' }, migrations: MIGRATIONS });
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  it('answers 401 without the bearer token or with a wrong one, never the metrics', async () => {
    const none = await t.http.get('/metrics').expect(401);
    expect(none.text).not.toContain('margin_');
    await t.http.get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789').expect(401);
  });

  it('exposes default Node metrics, HTTP timings by route template, LLM calls, tokens and cost, queue and circuit gauges', async () => {
    const session = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http.get(`/api/v1/jobs/${randomUUID()}`).set(session.auth).expect(404);
    await t.app.get(LlmExecutor).execute({
      tenantId: session.tenant.id,
      operation: 'draft',
      complexity: 'medium',
      models: ['openai/gpt-4o'],
      messages: [{ role: 'user', content: 'Write one sentence about metrics.' }],
      maxTokens: 50,
      attemptPrefix: `metrics:${randomUUID()}`,
    });
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const text = res.text;
    expect(sample(text, 'process_cpu_user_seconds_total', { instance: 'api-test', process: 'api' })).toBeGreaterThan(0);
    expect(sample(text, 'margin_http_request_duration_seconds_count', { route: '/api/v1/jobs/:id', status: '404', method: 'GET' })).toBe(1);
    // no id ever becomes a label
    expect(text).not.toMatch(/route="\/api\/v1\/jobs\/[0-9a-f-]{36}"/);
    expect(sample(text, 'margin_llm_calls_total', { provider: 'openai', model: 'openai/gpt-4o', operation: 'draft', outcome: 'success' })).toBe(1);
    expect(sample(text, 'margin_llm_tokens_total', { model: 'openai/gpt-4o', direction: 'output' })).toBeGreaterThan(0);
    expect(sample(text, 'margin_llm_cost_usd_total', { model: 'openai/gpt-4o', operation: 'draft' })).toBeGreaterThan(0);
    expect(sample(text, 'margin_limiter_acquires_total', { model: 'openai/gpt-4o', result: 'acquired' })).toBe(1);
    expect(sample(text, 'margin_queue_jobs', { queue: 'analysis', state: 'waiting', priority: 'high' })).toBe(0);
    expect(sample(text, 'margin_circuit_state', { model: 'openai/gpt-4o', state: 'closed' })).toBe(1);
    expect(sample(text, 'margin_circuit_state', { model: 'openai/gpt-4o', state: 'open' })).toBe(0);
    // secrets never appear
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(session.token);
  });

  it('budget utilization per tenant: only tenants with a budget, as spend ÷ limit', async () => {
    const admin = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http.put('/api/v1/budget').set(admin.auth).send({ monthlyLimitUsd: 10 }).expect(200);
    await t.dataSource.query(
      `INSERT INTO llm_calls (attempt_id, tenant_id, operation, provider_id, model_id, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens,
        cost_usd, latency_ms, outcome, created_at) VALUES ($1, $2, 'draft', 'openai', 'openai/gpt-4o', 1, 0, 1, 0, '2.5', 5, 'success', now())`,
      [randomUUID(), admin.tenant.id],
    );
    const other = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await new Promise((r) => setTimeout(r, 2_100)); // past the scrape cache
    const text = (await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text;
    expect(sample(text, 'margin_budget_utilization_ratio', { tenant: admin.tenant.id })).toBe(0.25);
    expect(text).not.toContain(other.tenant.id);
  });
});
