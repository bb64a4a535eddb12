import { makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

describe('providers (GET/POST/PATCH /api/v1/router/providers)', () => {
  let emu: RunningEmulator;
  let t: TestApp;
  let operator: Awaited<ReturnType<typeof makeSession>>;

  beforeAll(async () => {
    emu = await startEmulator();
    // a port nothing listens on, allowed so that tests can point a provider at a dead host
    t = await startTestApp(createApp, { env: { ...emu.env, OUTBOUND_ALLOW_HOSTS: '127.0.0.1:9' }, migrations: MIGRATIONS });
    operator = await makeSession(t.dataSource, t.http, { role: 'admin', isOperator: true, plan: 'unlimited' });
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  it('lists the providers from the environment, healthy, with their models, marked as the emulator', async () => {
    const res = await t.http.get('/api/v1/router/providers').set(operator.auth).expect(200);
    const byId = Object.fromEntries(res.body.map((p: { id: string }) => [p.id, p]));
    expect(Object.keys(byId).sort()).toEqual(['anthropic', 'ollama', 'openai']);
    expect(byId.ollama).toMatchObject({ kind: 'ollama', baseUrl: emu.url, healthy: true, emulated: true, managedBy: 'env', hasApiKey: false });
    expect(byId.ollama.models).toEqual(expect.arrayContaining(['qwen3:8b', 'llama3.1:8b', 'mistral:7b']));
    expect(byId.openai).toMatchObject({ kind: 'openai', baseUrl: `${emu.url}/v1`, healthy: true, emulated: true, hasApiKey: true });
    expect(byId.anthropic).toMatchObject({ kind: 'anthropic', healthy: true, emulated: true, hasApiKey: true });
    expect(JSON.stringify(res.body)).not.toContain(emu.env.OPENAI_API_KEY);
  });

  it('stores provider keys encrypted, never in clear', async () => {
    const rows: { id: string; api_key_encrypted: string }[] = await t.dataSource.query(
      `SELECT id, api_key_encrypted FROM providers WHERE api_key_encrypted IS NOT NULL`,
    );
    expect(rows.map((r) => r.id).sort()).toEqual(['anthropic', 'openai']);
    for (const r of rows) {
      expect(r.api_key_encrypted).toMatch(/^v1:/);
      expect(r.api_key_encrypted).not.toContain('sk-');
    }
  });

  it('adds an OpenAI-compatible host at runtime; duplicates are 409, bad input 400', async () => {
    const created = await t.http
      .post('/api/v1/router/providers')
      .set(operator.auth)
      .send({ id: 'groq', kind: 'openai', name: 'Groq', baseUrl: `${emu.url}/v1`, apiKey: 'gsk-secret' })
      .expect(201);
    expect(created.body).toMatchObject({ id: 'groq', managedBy: 'admin', hasApiKey: true, healthy: true, emulated: true });
    expect(created.body.models).toContain('gpt-4o-mini');
    await t.http
      .post('/api/v1/router/providers')
      .set(operator.auth)
      .send({ id: 'groq', kind: 'openai', name: 'Again', baseUrl: `${emu.url}/v1` })
      .expect(409);
    const bad = await t.http
      .post('/api/v1/router/providers')
      .set(operator.auth)
      .send({ id: 'Bad Id', kind: 'cohere', name: '', baseUrl: 'ftp://x' })
      .expect(400);
    expect(bad.body.message).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^id must be/),
        expect.stringMatching(/^kind must be one of/),
        expect.stringMatching(/^baseUrl must be a URL/),
      ]),
    );
  });

  it('disables and re-points a provider; health follows at once', async () => {
    const off = await t.http.patch('/api/v1/router/providers/ollama').set(operator.auth).send({ enabled: false }).expect(200);
    expect(off.body).toMatchObject({ enabled: false, healthy: false, error: 'disabled', managedBy: 'admin' });
    const dead = await t.http.patch('/api/v1/router/providers/ollama').set(operator.auth).send({ enabled: true, baseUrl: 'http://127.0.0.1:9' }).expect(200);
    expect(dead.body).toMatchObject({ enabled: true, healthy: false, baseUrl: 'http://127.0.0.1:9' });
    expect(dead.body.error).toEqual(expect.any(String));
    const back = await t.http.patch('/api/v1/router/providers/ollama').set(operator.auth).send({ baseUrl: emu.url }).expect(200);
    expect(back.body).toMatchObject({ healthy: true, emulated: true });
    await t.http.patch('/api/v1/router/providers/nope').set(operator.auth).send({ enabled: false }).expect(404);
  });

  it('removes a key with null', async () => {
    const res = await t.http.patch('/api/v1/router/providers/groq').set(operator.auth).send({ apiKey: null }).expect(200);
    expect(res.body.hasApiKey).toBe(false);
  });

  it.each([
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/', /link-local, metadata or reserved/],
    ['Redis on this machine', 'http://127.0.0.1:6379/', /loopback/],
    ['IPv6 loopback', 'http://[::1]:6379/', /loopback/],
    ['a hex-encoded loopback', 'http://0x7f000001:5432/', /loopback/],
    // not URLs class-validator accepts at all (the guard refuses them as loopback too: outbound-policy.spec.ts)
    ['a decimal loopback', 'http://2130706433:5432/', /must be a URL address|loopback/],
    ['an octal loopback', 'http://0177.0.0.1:6379/', /must be a URL address|loopback/],
    ['an IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]:6379/', /loopback/],
    ['localhost by name', 'http://localhost:6379/', /loopback/],
    ['the unspecified address', 'http://0.0.0.0:6379/', /reserved/],
    ['a private address', 'http://10.0.0.7:8000/v1', /private network/],
    ['a unique-local IPv6 address', 'http://[fd00::1]:8000/v1', /private network/],
    ['credentials in the URL', 'https://user:pass@api.example.com/v1', /credentials/],
  ])('refuses %s as a provider URL (400 naming baseUrl), on create and on change', async (_what, baseUrl, why) => {
    const text = (body: { message: string | string[] }) => [body.message].flat().join('; ');
    const res = await t.http.post('/api/v1/router/providers').set(operator.auth).send({ id: 'ssrf', kind: 'openai', name: 'SSRF', baseUrl }).expect(400);
    expect(text(res.body)).toMatch(/^baseUrl /);
    expect(text(res.body)).toMatch(why);
    const patched = await t.http.patch('/api/v1/router/providers/openai').set(operator.auth).send({ baseUrl }).expect(400);
    expect(text(patched.body)).toMatch(why);
    const [row] = (await t.dataSource.query(`SELECT count(*)::int AS n FROM providers WHERE id = 'ssrf' OR base_url = $1`, [baseUrl])) as Array<{ n: number }>;
    expect(row?.n).toBe(0);
  });

  it('a provider an admin points at a dead host reports a generic failure, never the socket error', async () => {
    const res = await t.http
      .post('/api/v1/router/providers')
      .set(operator.auth)
      .send({ id: 'closed', kind: 'openai', name: 'Closed', baseUrl: 'http://127.0.0.1:9/v1' })
      .expect(201);
    expect(res.body).toMatchObject({ healthy: false, error: 'unreachable' });
    expect(JSON.stringify(res.body)).not.toMatch(/ECONN|connect/);
    // a port of the same host that is not on the allow-list is refused outright
    await t.http
      .post('/api/v1/router/providers')
      .set(operator.auth)
      .send({ id: 'closed2', kind: 'openai', name: 'Closed', baseUrl: 'http://127.0.0.1:10/v1' })
      .expect(400);
  });

  it('members are refused; other tenants’ owners neither see the installation’s providers nor change them', async () => {
    const member = await makeSession(t.dataSource, t.http, { role: 'member', tenant: operator.tenant });
    await t.http.get('/api/v1/router/providers').set(member.auth).expect(403);
    const outsider = await makeSession(t.dataSource, t.http, { role: 'owner' });
    await t.http.get('/api/v1/router/providers').set(outsider.auth).expect(403);
    await t.http.get('/api/v1/router/providers/openai').set(outsider.auth).expect(403);
    const res = await t.http.patch('/api/v1/router/providers/openai').set(outsider.auth).send({ enabled: false }).expect(403);
    expect(res.body.message).toMatch(/operator tenant/);
    await t.http
      .post('/api/v1/router/providers')
      .set(outsider.auth)
      .send({ id: 'mine', kind: 'openai', name: 'Mine', baseUrl: `${emu.url}/v1` })
      .expect(403);
  });

  it('/health reports each provider', async () => {
    const res = await t.http.get('/health').expect(200);
    expect(res.body.details.providers).toMatchObject({ status: 'up', providers: { openai: { healthy: true, emulated: true } } });
  });
});

describe('providers from the environment across restarts', () => {
  it('env-managed providers follow the environment; ones an admin changed keep the admin settings', async () => {
    const emu = await startEmulator();
    const other = await startEmulator();
    let t = await startTestApp(createApp, { env: emu.env, migrations: MIGRATIONS });
    const operator = await makeSession(t.dataSource, t.http, { role: 'owner', isOperator: true });
    await t.http.patch('/api/v1/router/providers/ollama').set(operator.auth).send({ name: 'GPU box' }).expect(200);
    await t.close();

    t = await startTestApp(createApp, { env: other.env });
    const token = (await t.http.post('/api/v1/auth/login').send({ email: operator.user.email, password: operator.user.password }).expect(200)).body.accessToken;
    const res = await t.http.get('/api/v1/router/providers').set('Authorization', `Bearer ${token}`).expect(200);
    const byId = Object.fromEntries(res.body.map((p: { id: string }) => [p.id, p]));
    expect(byId.openai.baseUrl).toBe(`${other.url}/v1`);
    expect(byId.ollama).toMatchObject({ baseUrl: emu.url, name: 'GPU box', managedBy: 'admin' });
    await t.close();
    await emu.close();
    await other.close();
  });
});
