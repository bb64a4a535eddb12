// Submissions under load on the real cluster (API + 2 workers + emulator as separate processes): many
// integrators at once are all answered, and a client that is slow to send its body holds no connection.
import http from 'node:http';
import { startCluster, type Cluster } from './support/cluster';

jest.setTimeout(240_000);

const song = (tag: string, i: number) => ({
  title: `${tag} song ${i}`,
  artist: `The ${tag} Band`,
  lyrics: `Verse ${i}: rain on the window\nChorus: we will carry on ${i}`,
});

describe('job submissions under load', () => {
  let c: Cluster;
  let key: string;

  beforeAll(async () => {
    const fast = { latencyMs: 50, tokensPerSecond: 0, parallel: 20, rpm: 0, tpm: 0 };
    c = await startCluster({ workers: 2, emulator: { defaults: fast } });
    key = (await c.api<{ key: string }>('POST', '/api/v1/api-keys', { name: 'load' }, { authorization: `Bearer ${c.owner.token}` })).body.key;
  });
  afterAll(async () => {
    await c?.stop();
  });

  const idleInTransaction = async () => {
    const { rows } = await c.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    return rows[0]?.n ?? -1;
  };

  it('200 concurrent submissions of 30 items: every one answered 202 within the deadline, all stored once, the API healthy after', async () => {
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, j) =>
        c.api<{ id: string; totalItems: number }>(
          'POST',
          '/api/v1/jobs',
          { profile: 'song-analysis', name: `integrator ${j}`, items: Array.from({ length: 30 }, (_, i) => song(`s${j}`, i)) },
          { 'x-api-key': key },
        ),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    const statuses = answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {});
    expect(statuses).toEqual({ 202: 200 });
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(200);
    const { rows } = await c.db.query<{ jobs: number; items: number }>(`SELECT count(DISTINCT job_id)::int AS jobs, count(*)::int AS items FROM job_items`);
    expect(rows[0]).toEqual({ jobs: 200, items: 6000 });
    const health = await c.api<{ status: string }>('GET', '/health');
    expect(health.status).toBe(200);
    expect(await idleInTransaction()).toBe(0);
    // logins are served too (they hung when every connection sat in a submission transaction)
    const login = await c.api('POST', '/api/v1/auth/login', { email: c.owner.email, password: c.owner.password });
    expect(login.status).toBe(200);
    expect(seconds).toBeLessThan(60);
  });

  it('a client that stalls mid-body holds no database connection and does not slow anyone down', async () => {
    const body = JSON.stringify({ profile: 'song-analysis', items: Array.from({ length: 40 }, (_, i) => song('slow', i)) });
    const req = http.request(`${c.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, 'content-length': String(Buffer.byteLength(body)) },
    });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (b: Buffer) => (text += b.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 1500));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await idleInTransaction()).toBe(0);
    const others = await Promise.all(Array.from({ length: 40 }, () => c.api('GET', '/api/v1/jobs?limit=1', undefined, { 'x-api-key': key })));
    expect(others.every((o) => o.status === 200)).toBe(true);
    req.end(body.slice(1500));
    const res = await answered;
    expect(res.status).toBe(202);
    expect(JSON.parse(res.body)).toMatchObject({ totalItems: 40 });
  });
});
