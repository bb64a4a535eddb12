// Values the security review found answered with 500: tiny and huge numbers in money fields, crafted cursors,
// extreme dates. Each must be a 400 naming the field (or a valid answer), never a 5xx.
import { makeSession, startTestApp, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('values at the edges get a 4xx, never a 5xx', () => {
  let t: TestApp;
  let auth: { Authorization: string };

  beforeAll(async () => {
    t = await startTestApp(createApp, { migrations: MIGRATIONS });
    auth = (await makeSession(t.dataSource, t.http, { role: 'admin', isOperator: true, plan: 'unlimited' })).auth;
  });
  afterAll(() => t.close());

  const song = { title: 'a', artist: 'b', lyrics: 'c' };
  const cursor = (text: string) => Buffer.from(text).toString('base64url');

  it.each([
    ['PUT', '/api/v1/budget', { monthlyLimitUsd: 1e-7, alertThresholds: [0.5], hardStop: true }],
    ['PUT', '/api/v1/budget', { monthlyLimitUsd: 10, alertThresholds: [1e-7], hardStop: false }],
    ['PUT', '/api/v1/budget', { monthlyLimitUsd: 1e21, alertThresholds: [0.5], hardStop: false }],
    ['POST', '/api/v1/jobs/estimate', { profile: 'song-analysis', budgetUsd: 1e-7, items: [song] }],
    ['POST', '/api/v1/jobs', { profile: 'song-analysis', budgetUsd: 1e21, items: [song] }],
    ['POST', '/api/v1/router/route', { operation: 'analyze', budgetUsd: 1e-7 }],
    ['PUT', '/api/v1/router/models/openai%2Fgpt-4o-mini', { inputUsdPerMillion: 1e-7 }],
    ['PUT', '/api/v1/router/models/ollama%2Fqwen3%3A8b', { gpuUsdPerHour: 1e-9 }],
    ['GET', `/api/v1/jobs?cursor=${cursor(`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`)}`, undefined],
    ['GET', `/api/v1/jobs?cursor=${cursor('-271821-04-20T00:00:00.000Z|00000000-0000-0000-0000-000000000000')}`, undefined],
    ['GET', `/api/v1/costs/calls?cursor=${cursor(`x|${'-'.repeat(36)}`)}`, undefined],
    ['GET', '/api/v1/costs/summary?from=-4714-01-01T00:00:00Z', undefined],
    ['GET', '/api/v1/jobs/stats?from=-4714-01-01T00:00:00Z', undefined],
    ['GET', '/api/v1/costs/summary?from=275760-09-13T00:00:00Z', undefined],
  ])('%s %s', async (method, route, body) => {
    const req = method === 'GET' ? t.http.get(route) : method === 'PUT' ? t.http.put(route).send(body as object) : t.http.post(route).send(body as object);
    const res = await req.set(auth);
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) expect(res.body).toMatchObject({ statusCode: res.status, message: expect.anything() });
  });
});
