// Submissions never hold a database connection while their body arrives, every pool wait has a deadline, and
// bodies that are slow, cut short, badly encoded or too deeply nested get a 4xx, never a hang or a crash.
import { makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';

const song = (tag: string, i: number) => ({ title: `${tag} song ${i}`, artist: `The ${tag} Band`, lyrics: `Line ${i}: love and rain\nChorus ${i}` });

/** A raw request whose body is written by the test (the way a slow or broken client sends it). */
function rawRequest(url: string, headers: Record<string, string>) {
  const req = http.request(`${url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } });
  const answered = new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
  });
  return { req, answered };
}

describe('job submission under load and from bad clients', () => {
  let emu: RunningEmulator;
  let t: TestApp;

  // a deliberately small pool: 40 concurrent submitters must still all be answered
  beforeAll(async () => {
    emu = await startEmulator();
    t = await startTestApp((c) => createApp(c), {
      env: { ...emu.env, DB_POOL_SIZE: '3', DB_POOL_ACQUIRE_TIMEOUT_MS: '1500', REQUEST_BODY_TIMEOUT_SECONDS: '3' },
      migrations: MIGRATIONS,
      listen: true,
    });
  });
  afterAll(async () => {
    await t.close();
    await emu.close();
  });

  const idleInTransaction = async () => {
    const [row] = (await t.dataSource.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    )) as Array<{ n: number }>;
    return row?.n ?? -1;
  };

  it('40 concurrent submissions of 30 items on a pool of 3: every one answered 202, all stored, the API healthy after', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, j) =>
        t.http
          .post('/api/v1/jobs')
          .set(s.auth)
          .send({ profile: 'song-analysis', name: `concurrent ${j}`, items: Array.from({ length: 30 }, (_, i) => song(`c${j}`, i)) }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(202));
    const [row] = (await t.dataSource.query(`SELECT count(DISTINCT job_id)::int AS jobs, count(*)::int AS items FROM job_items WHERE tenant_id = $1`, [
      s.tenant.id,
    ])) as Array<{ jobs: number; items: number }>;
    expect(row).toEqual({ jobs: 40, items: 1200 });
    await t.http.get('/api/v1/jobs?limit=1').set(s.auth).expect(200);
    expect(await idleInTransaction()).toBe(0);
  }, 60_000);

  it('a client that stalls mid-body holds no connection: others are served meanwhile; once its body completes it gets its 202', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    const body = JSON.stringify({ profile: 'song-analysis', items: Array.from({ length: 50 }, (_, i) => song('slow', i)) });
    const { req, answered } = rawRequest(t.url as string, { ...s.auth, 'content-length': String(Buffer.byteLength(body)) });
    req.write(body.slice(0, 2000));
    await new Promise((r) => setTimeout(r, 700));
    expect(await idleInTransaction()).toBe(0);
    // more requests than the pool has connections, while the slow body is pending
    const others = await Promise.all(Array.from({ length: 6 }, () => t.http.get('/api/v1/jobs?limit=1').set(s.auth)));
    expect(others.map((r) => r.status)).toEqual(Array(6).fill(200));
    req.end(body.slice(2000));
    const res = await answered;
    expect(res.status).toBe(202);
    expect(JSON.parse(res.body)).toMatchObject({ totalItems: 50 });
  }, 30_000);

  it('a body that does not arrive within the deadline gets 408 and nothing is stored', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    const { req, answered } = rawRequest(t.url as string, { ...s.auth, 'content-length': '100000' });
    req.write('{"profile":"song-analysis","items":[');
    const res = await answered;
    req.destroy();
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body)).toMatchObject({ statusCode: 408, code: 'request_timeout' });
    expect(res.headers.connection).toBe('close');
    const [row] = (await t.dataSource.query(`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1`, [s.tenant.id])) as Array<{ n: number }>;
    expect(row?.n).toBe(0);
  }, 30_000);

  it('bad encodings and nesting: 415 for an unknown encoding, 400 for a corrupt or truncated gzip and for nesting past 64; a valid gzip body is accepted', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    const post = (headers: Record<string, string>, body: Buffer | string) => {
      const { req, answered } = rawRequest(t.url as string, { ...s.auth, ...headers });
      req.end(body);
      return answered;
    };
    const good = JSON.stringify({ profile: 'song-analysis', items: [song('gz', 1), song('gz', 2)] });
    const notGzip = await post({ 'content-encoding': 'gzip' }, good);
    expect(notGzip.status).toBe(400);
    expect(JSON.parse(notGzip.body)).toMatchObject({ code: 'invalid_encoding', message: expect.stringMatching(/not valid gzip/) });
    const truncated = await post({ 'content-encoding': 'gzip' }, gzipSync(good).subarray(0, 20));
    expect(truncated.status).toBe(400);
    expect((await post({ 'content-encoding': 'compress' }, good)).status).toBe(415);
    const brokenBrotli = await post({ 'content-encoding': 'br' }, good);
    expect(brokenBrotli.status).toBe(400);
    const deep = await post({}, `{"profile":"song-analysis","metadata":${'['.repeat(5000)}${']'.repeat(5000)},"items":[{}]}`);
    expect(deep.status).toBe(400);
    expect(JSON.parse(deep.body).message).toMatch(/nested deeper than 64 levels/);
    const gz = await post({ 'content-encoding': 'gzip' }, gzipSync(good));
    expect(gz.status).toBe(202);
    expect(JSON.parse(gz.body)).toMatchObject({ totalItems: 2 });
    // the process is still serving
    await t.http.get('/api/v1/jobs?limit=1').set(s.auth).expect(200);
  }, 30_000);

  it('text Postgres cannot store (NUL, a lone surrogate) in an item or a field is a 400 naming where, and nothing is stored', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    const post = (body: string) => {
      const { req, answered } = rawRequest(t.url as string, s.auth);
      req.end(body);
      return answered;
    };
    const nul = await post(`{"profile":"song-analysis","items":[${JSON.stringify(song('n', 0))},{"title":"a","artist":"b","lyrics":"la\\u0000la"}]}`);
    expect(nul.status).toBe(400);
    expect(JSON.parse(nul.body).message).toEqual(['items.1.lyrics contains a NUL character']);
    const surrogate = await post(`{"profile":"song-analysis","items":[{"title":"\\ud800","artist":"b","lyrics":"c"}]}`);
    expect(surrogate.status).toBe(400);
    expect(JSON.parse(surrogate.body).message).toEqual(['items.0.title contains an unpaired UTF-16 surrogate']);
    const name = await post(`{"profile":"song-analysis","name":"bad\\u0000name","items":[${JSON.stringify(song('n', 1))}]}`);
    expect(name.status).toBe(400);
    expect(JSON.parse(name.body).message).toEqual(['name contains a NUL character']);
    const [row] = (await t.dataSource.query(`SELECT count(*)::int AS n FROM jobs WHERE tenant_id = $1`, [s.tenant.id])) as Array<{ n: number }>;
    expect(row?.n).toBe(0);
  });

  it('when no pool connection frees up in time, requests get 503 with Retry-After instead of hanging', async () => {
    const s = await makeSession(t.dataSource, t.http, { plan: 'unlimited' });
    // every connection of the app's pool busy for longer than the acquire timeout
    const holding = Promise.all(Array.from({ length: 3 }, () => t.dataSource.query('SELECT pg_sleep(3)')));
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const res = await t.http.get('/api/v1/jobs?limit=1').set(s.auth);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ statusCode: 503, code: 'database_unavailable' });
    expect(Date.now() - started).toBeLessThan(2900);
    await holding;
    await t.http.get('/api/v1/jobs?limit=1').set(s.auth).expect(200);
  }, 30_000);
});
