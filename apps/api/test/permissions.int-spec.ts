// The permission matrix: every route of the API × every role × operator or ordinary tenant × session (JWT) or
// API key, checked against the policy written down here. The route list is discovered from the running app, so
// a new route fails this test until its intended access is added to POLICY below.
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ROLES, roleAtLeast, type Role } from '@margin/contracts';
import { makeApiKey, makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

interface Access {
  /** No credentials needed. */
  public?: true;
  /** Lowest role allowed; absent: any authenticated caller. */
  min?: Role;
  /** Only the operator's tenant (installation-wide settings). */
  operator?: true;
  /** Only with a session (a person), never with an API key. */
  session?: true;
}

/** Who may call what. Change it only together with the route. */
const POLICY: Record<string, Access> = {
  'GET /health': { public: true },
  'POST /api/v1/auth/login': { public: true },
  'POST /api/v1/auth/signup': { public: true },
  'POST /api/v1/auth/signup/confirm': { public: true },
  'GET /api/v1/auth/me': {},
  'POST /api/v1/api-keys': { min: 'admin' },
  'GET /api/v1/api-keys': {},
  'GET /api/v1/api-keys/:id': {},
  'DELETE /api/v1/api-keys/:id': { min: 'admin' },
  'GET /api/v1/users': { min: 'admin' },
  'POST /api/v1/users': { min: 'admin' },
  'PATCH /api/v1/users/:id': { min: 'admin' },
  'DELETE /api/v1/users/:id': { min: 'admin' },
  'GET /api/v1/tenants': { min: 'owner', operator: true, session: true },
  'PATCH /api/v1/tenants/:id': { min: 'owner', operator: true, session: true },
  'GET /api/v1/router/providers': { min: 'admin', operator: true },
  'GET /api/v1/router/providers/:id': { min: 'admin', operator: true },
  'POST /api/v1/router/providers': { min: 'admin', operator: true },
  'PATCH /api/v1/router/providers/:id': { min: 'admin', operator: true },
  'GET /api/v1/router/models': {},
  'GET /api/v1/router/models/:id': {},
  'POST /api/v1/router/models': { min: 'admin', operator: true },
  'PUT /api/v1/router/models/:id': { min: 'admin', operator: true },
  'GET /api/v1/router/policy': {},
  'PUT /api/v1/router/policy': { min: 'admin' },
  'POST /api/v1/router/route': {},
  'GET /v1/models': {},
  'POST /v1/chat/completions': { min: 'member' },
  'GET /v1/models/*id': {},
  'POST /v1/responses': { min: 'member' },
  'GET /v1/responses/:id': {},
  'DELETE /v1/responses/:id': { min: 'member' },
  'POST /v1/embeddings': { min: 'member' },
  'POST /v1/completions': { min: 'member' },
  'GET /api/v1/costs/summary': {},
  'GET /api/v1/costs/calls': {},
  'GET /api/v1/budget': {},
  'PUT /api/v1/budget': { min: 'admin' },
  'POST /api/v1/jobs': { min: 'member' },
  'POST /api/v1/jobs/estimate': {},
  'GET /api/v1/jobs': {},
  'GET /api/v1/jobs/stats': {},
  'GET /api/v1/jobs/priority-rules': {},
  'PUT /api/v1/jobs/priority-rules': { min: 'admin', operator: true },
  'GET /api/v1/jobs/:id': {},
  'GET /api/v1/jobs/:id/items': {},
  'GET /api/v1/jobs/:id/results': {},
  'POST /api/v1/jobs/:id/cancel': { min: 'member' },
  'POST /api/v1/jobs/:id/retry': { min: 'member' },
  'POST /api/v1/analyze': { min: 'member' },
  'GET /api/v1/analyze/callback-secret': { min: 'admin' },
  'POST /api/v1/analyze/callback-secret/rotate': { min: 'admin' },
  'GET /api/v1/job-settings': {},
  'PUT /api/v1/job-settings': { min: 'admin' },
  'GET /api/v1/profiles': {},
  'GET /api/v1/profiles/:key': {},
  'POST /api/v1/profiles': { min: 'admin' },
  'GET /api/v1/plans': {},
  'PUT /api/v1/plans/:plan': { min: 'admin', operator: true },
  'POST /api/v1/plans': { min: 'member' },
  'GET /api/v1/plans/requests': {},
  'GET /api/v1/plans/accuracy': {},
  'GET /api/v1/plans/:id': {},
  'PATCH /api/v1/plans/:id': { min: 'member' },
  'POST /api/v1/plans/:id/approve': { min: 'member' },
  'POST /api/v1/plans/:id/cancel': { min: 'member' },
  'GET /api/v1/endpoints': { min: 'admin' },
  'POST /api/v1/endpoints': { min: 'admin' },
  'GET /api/v1/endpoints/:id': { min: 'admin' },
  'PATCH /api/v1/endpoints/:id': { min: 'admin' },
  'DELETE /api/v1/endpoints/:id': { min: 'admin' },
  'POST /api/v1/endpoints/:id/test': { min: 'admin' },
  'GET /api/v1/posts': {},
  'POST /api/v1/posts': { min: 'member' },
  'GET /api/v1/posts/:id': {},
  'PATCH /api/v1/posts/:id': { min: 'member' },
  'DELETE /api/v1/posts/:id': { min: 'member' },
  'POST /api/v1/posts/:id/publish': { min: 'member' },
  'GET /api/v1/posts/:id/deliveries': {},
  'POST /api/v1/deliveries/:id/retry': { min: 'member' },
  'POST /api/v1/deliveries/:id/unschedule': { min: 'member' },
  'GET /blog/:blogSlug': { public: true },
  'GET /blog/:blogSlug/:postSlug': { public: true },
  'GET /blog/:blogSlug/feed.xml': { public: true },
  'GET /blog/:blogSlug/feed.atom': { public: true },
  'GET /blog/:blogSlug/feed.json': { public: true },
  // Prometheus scrapes it; METRICS_TOKEN (unset here) guards it when set
  'GET /metrics': { public: true },
  'GET /api/v1/metrics/kpis': {},
  'GET /api/v1/metrics/timeseries': {},
  'GET /api/v1/metrics/revenue': {},
  'POST /api/v1/metrics/revenue': { min: 'admin' },
  'POST /api/v1/metrics/revenue/import': { min: 'admin' },
  // Stripe calls it; the Stripe-Signature is its credential
  'POST /api/v1/integrations/stripe/webhook': { public: true },
  'GET /api/v1/alerts': {},
  'GET /api/v1/alerts/rules': {},
  'PUT /api/v1/alerts/rules': { min: 'admin' },
  'POST /api/v1/items/:id/feedback': { min: 'member' },
  'GET /api/v1/training/examples': {},
  'GET /api/v1/training/export': {},
  'GET /api/v1/training/settings': {},
  'PUT /api/v1/training/settings': { min: 'admin' },
  'POST /api/v1/training/datasets': { min: 'member' },
  'GET /api/v1/training/datasets': {},
  'GET /api/v1/training/datasets/:id': {},
  'GET /api/v1/training/datasets/:id/export': {},
  'POST /api/v1/training/evals': { min: 'member' },
  'GET /api/v1/training/evals': {},
  'GET /api/v1/training/evals/:id': {},
  'POST /api/v1/training/evals/:id/runs': { min: 'member' },
  'GET /api/v1/training/evals/:id/runs': {},
  'GET /api/v1/training/evals/:id/compare': {},
  'GET /api/v1/training/evals/:id/runs/:runId': {},
  'GET /api/v1/training/ab-report': {},
  'POST /api/v1/training/promotions': { min: 'admin' },
  'GET /api/v1/training/promotions': {},
  'POST /api/v1/training/promotions/:id/revert': { min: 'admin' },
  'POST /api/v1/training/promotions/:id/approve': { min: 'admin' },
};

/** Routes outside the /api/v1 prefix (configure-app.ts): exact paths, or prefixes ending in "/". */
const UNPREFIXED = ['/health', '/metrics', '/v1/', '/blog/'];

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

/** Valid bodies for routes whose last access check is the service's (it runs after validation). */
const BODIES: Record<string, object> = {
  'PATCH /api/v1/tenants/:id': { plan: 'pro' },
};

function discoverRoutes(t: TestApp): string[] {
  const discovery = t.app.get(DiscoveryService);
  const scanner = t.app.get(MetadataScanner);
  const routes: string[] = [];
  for (const controller of discovery.getControllers()) {
    const instance = controller.instance as Record<string, unknown> | undefined;
    if (!instance) continue;
    const base = (Reflect.getMetadata(PATH_METADATA, controller.metatype as object) as string | undefined) ?? '';
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
      const handler = instance[name] as object;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const full = `/${[base, path].filter((p) => p && p !== '/').join('/')}`;
      routes.push(`${method} ${UNPREFIXED.some((p) => (p.endsWith('/') ? full.startsWith(p) : full === p)) ? full : `/api/v1${full}`}`);
    }
  }
  return routes.sort();
}

describe('permission matrix: every route × role × tenant × credential', () => {
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

  it('every route the app serves has a written access policy, and every policy a route', () => {
    expect(discoverRoutes(t)).toEqual(Object.keys(POLICY).sort());
  });

  it('each route answers 401 without credentials, 403 to whoever the policy leaves out, and lets everyone else through', async () => {
    const callers: Array<{ label: string; role: Role; operator: boolean; via: 'session' | 'key'; headers: Record<string, string> }> = [];
    for (const operator of [true, false]) {
      const owner = await makeSession(t.dataSource, t.http, { role: 'owner', isOperator: operator, plan: operator ? 'unlimited' : 'pro' });
      for (const role of ROLES) {
        const s = role === 'owner' ? owner : await makeSession(t.dataSource, t.http, { role, tenant: owner.tenant });
        const key = (await makeApiKey(t.dataSource, owner.tenant, { role, createdBy: s.user })).key;
        callers.push({ label: `${role}/${operator ? 'operator' : 'tenant'}/session`, role, operator, via: 'session', headers: s.auth });
        callers.push({ label: `${role}/${operator ? 'operator' : 'tenant'}/key`, role, operator, via: 'key', headers: { 'X-API-Key': key } });
      }
    }
    const wrong: string[] = [];
    for (const [route, access] of Object.entries(POLICY)) {
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(':id', NO_SUCH_ID).replace(':key', 'no-such-profile').replace(':plan', 'pro');
      const send = (headers: Record<string, string>) => {
        const req = t.http[method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path).set(headers);
        // an empty body: an allowed caller gets a 400 (or a 404 for the made-up id) from validation, nothing changes
        return method === 'GET' || method === 'DELETE' ? req : req.send(BODIES[route] ?? {});
      };
      const anonymous = (await send({})).status;
      if (access.public ? anonymous === 401 || anonymous === 403 : anonymous !== 401) wrong.push(`${route} anonymous → ${anonymous}`);
      if (access.public) continue;
      for (const c of callers) {
        const forbidden =
          (access.min !== undefined && !roleAtLeast(c.role, access.min)) ||
          (access.operator === true && !c.operator) ||
          (access.session === true && c.via !== 'session');
        const status = (await send(c.headers)).status;
        if (forbidden ? status !== 403 : status === 401 || status === 403 || status >= 500)
          wrong.push(`${route} ${c.label} → ${status} (expected ${forbidden ? '403' : 'through'})`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it("another tenant's ids are 404 on every route that takes one, for every credential", async () => {
    const mine = await makeSession(t.dataSource, t.http, { role: 'owner', plan: 'unlimited' });
    const theirs = await makeSession(t.dataSource, t.http, { role: 'owner', plan: 'unlimited' });
    const theirKey = await makeApiKey(t.dataSource, theirs.tenant, { role: 'admin', createdBy: theirs.user });
    const job = await t.http
      .post('/api/v1/jobs')
      .set(theirs.auth)
      .send({ profile: 'song-analysis', items: [{ title: 'x', artist: 'y', lyrics: 'z' }] })
      .expect(202);
    const myKey = (await makeApiKey(t.dataSource, mine.tenant, { role: 'owner', createdBy: mine.user })).key;
    const foreign: Array<[string, string, object?]> = [
      ['GET', `/api/v1/jobs/${job.body.id as string}`],
      ['GET', `/api/v1/jobs/${job.body.id as string}/items`],
      ['GET', `/api/v1/jobs/${job.body.id as string}/results`],
      ['POST', `/api/v1/jobs/${job.body.id as string}/cancel`, {}],
      ['POST', `/api/v1/jobs/${job.body.id as string}/retry`, {}],
      ['GET', `/api/v1/api-keys/${theirKey.entity.id}`],
      ['DELETE', `/api/v1/api-keys/${theirKey.entity.id}`],
      ['PATCH', `/api/v1/users/${theirs.user.id}`, { role: 'viewer' }],
      ['DELETE', `/api/v1/users/${theirs.user.id}`],
    ];
    const wrong: string[] = [];
    for (const headers of [mine.auth, { 'X-API-Key': myKey }]) {
      for (const [method, path, body] of foreign) {
        const req = t.http[method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](path).set(headers);
        const status = (await (body ? req.send(body) : req)).status;
        if (status !== 404) wrong.push(`${method} ${path} → ${status}`);
      }
    }
    expect(wrong).toEqual([]);
    // and nothing of theirs changed
    expect(
      (
        await t.http
          .get(`/api/v1/jobs/${job.body.id as string}`)
          .set(theirs.auth)
          .expect(200)
      ).body.status,
    ).not.toBe('cancelled');
    await t.http.get('/api/v1/auth/me').set({ 'X-API-Key': theirKey.key }).expect(200);
  });
});
