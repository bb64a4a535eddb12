// `npm start` keeps the product up: a child killed with SIGKILL is restarted (and the output says so) while
// the others keep running; a job submitted before a worker crash completes once; a revoked API key's socket
// is cut within seconds; Ctrl-C still stops everything.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { io } from 'socket.io-client';
import { isAlive, startStack, type RunningStack } from './support/stack';

jest.setTimeout(300_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const song = (i: number) => ({
  title: `Supervised hymn ${i}`,
  artist: 'The Restart Choir',
  lyrics: `Verse ${i}: we rise again each morning\nChorus: nothing is lost, all is carried home ${i}`,
});

async function until<T>(
  what: string,
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Polls /health until stopped; every answer (or failure to answer) is kept. */
function pollHealth(url: string) {
  const seen: Array<{ at: number; status: number | string }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
        seen.push({ at: Date.now(), status: res.status });
        await res.body?.cancel();
      } catch (err) {
        seen.push({ at: Date.now(), status: (err as Error).message });
      }
      await sleep(150);
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

describe('npm start supervises its processes', () => {
  let stack: RunningStack;
  let db: Client;
  let token: string;
  let key: string;
  const auth = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  /** Cleanups of the current test, run even when it fails (a poller left running would keep Jest alive). */
  const afterThis: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of afterThis.splice(0)) await cleanup();
  });

  beforeAll(async () => {
    // Every model answers in ~250 ms, so a 40-song job is still running when the worker is killed.
    const fast = { latencyMs: 250, tokensPerSecond: 5000, parallel: 10, rpm: 0, tpm: 0 };
    const models = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'].map((name) => ({
      name,
      ...fast,
    }));
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'margin-super-')), 'emulator.json');
    writeFileSync(config, JSON.stringify({ defaults: fast, models }));
    stack = await startStack({ LLM_EMULATOR_CONFIG: config, WORKER_CONCURRENCY: '4', SHUTDOWN_TIMEOUT_SECONDS: '5', RATE_LIMIT_PER_MINUTE: '100000' });
    db = new Client({ connectionString: process.env.E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_e2e' });
    await db.connect();
    const login = await fetch(`${stack.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: stack.ownerEmail, password: stack.ownerPassword }),
    });
    token = ((await login.json()) as { accessToken: string }).accessToken;
    const created = await fetch(`${stack.url}/api/v1/api-keys`, { method: 'POST', headers: auth(), body: JSON.stringify({ name: 'supervisor e2e' }) });
    key = ((await created.json()) as { key: string }).key;
  });

  afterAll(async () => {
    await db?.end().catch(() => undefined);
    if (stack && stack.process.exitCode === null) await stack.interrupt();
  });

  it('kill -9 of the worker: it is restarted and says so, the API never goes down, the job submitted before completes once', async () => {
    const submit = await fetch(`${stack.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ profile: 'song-analysis', name: 'Crash-proof playlist', items: Array.from({ length: 40 }, (_, i) => song(i)) }),
    });
    expect(submit.status).toBe(202);
    const { id } = (await submit.json()) as { id: string };
    const job = async () =>
      (await (await fetch(`${stack.url}/api/v1/jobs/${id}`, { headers: { 'x-api-key': key } })).json()) as {
        status: string;
        completedItems: number;
        failedItems: number;
        totalItems: number;
      };
    await until('a few items done', async () => (await job()).completedItems >= 3, 60_000, 50);

    const health = pollHealth(stack.url);
    afterThis.push(() => health.stop());
    process.kill(stack.pids.worker, 'SIGKILL');
    const restarted = await until('the worker restarted', () => /worker restarted \(pid (\d+)\)/.exec(stack.output()), 60_000);
    expect(stack.output()).toMatch(/worker exited unexpectedly \(SIGKILL\); restarting it in [\d.]+s \(restart #1\); the other processes keep running/);
    expect(stack.output()).not.toMatch(/stopping the rest/);
    const newWorker = Number(restarted[1]);
    expect(newWorker).not.toBe(stack.pids.worker);
    expect(isAlive(newWorker)).toBe(true);

    const final = await until(
      'the job to finish',
      async () => {
        const j = await job();
        return ['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(j.status) && j;
      },
      150_000,
      300,
    );
    const polled = await health.stop();
    expect(final).toMatchObject({ status: 'completed', completedItems: 40, failedItems: 0, totalItems: 40 });
    // The API answered 200 on every poll while the worker was down and back.
    expect(polled.length).toBeGreaterThan(5);
    expect(polled.filter((p) => p.status !== 200)).toEqual([]);
    expect(isAlive(stack.pids.api)).toBe(true);

    const items = await db.query(`SELECT status, count(*)::int AS n FROM job_items WHERE job_id = $1 GROUP BY status`, [id]);
    expect(items.rows).toEqual([{ status: 'completed', n: 40 }]);
    const dupes = await db.query(
      `SELECT item_id, count(*)::int AS n FROM llm_calls WHERE job_id = $1 AND outcome = 'success' GROUP BY item_id HAVING count(*) > 1`,
      [id],
    );
    expect(dupes.rows).toEqual([]);
    const attempts = await db.query(`SELECT attempt_id, count(*)::int AS n FROM llm_calls WHERE job_id = $1 GROUP BY attempt_id HAVING count(*) > 1`, [id]);
    expect(attempts.rows).toEqual([]);
    const booked = await db.query(`SELECT count(DISTINCT item_id)::int AS n FROM llm_calls WHERE job_id = $1 AND outcome = 'success'`, [id]);
    expect(booked.rows[0].n).toBe(40);

    // /health counts the new worker (its fresh heartbeat), not the killed one's leftover key.
    // the worker list (pids) is for the operator's admins only
    const login = (await (
      await fetch(`${stack.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: stack.ownerEmail, password: stack.ownerPassword }),
      })
    ).json()) as { accessToken: string };
    const operator = { authorization: `Bearer ${login.accessToken}` };
    const workers = await until(
      'the new worker in /health',
      async () => {
        const body = (await (await fetch(`${stack.url}/health`, { headers: operator })).json()) as {
          details: { workers: { count: number; workers: Array<{ pid: number }> } };
        };
        const w = body.details.workers;
        return w.workers.some((x) => x.pid === newWorker) && !w.workers.some((x) => x.pid === stack.pids.worker) && w;
      },
      40_000,
      500,
    );
    expect(workers.count).toBe(1);
  });

  it('kill -9 of the API or the emulator: each is restarted on its own, the others keep running', async () => {
    const worker = Number([...stack.output().matchAll(/worker restarted \(pid (\d+)\)/g)].at(-1)?.[1]);
    process.kill(stack.pids.api, 'SIGKILL');
    const api = Number((await until('the API restarted', () => /api restarted \(pid (\d+)\)/.exec(stack.output()), 60_000))[1]);
    expect(stack.output()).toMatch(/api exited unexpectedly \(SIGKILL\); restarting/);
    await until('the API healthy again', async () => (await fetch(`${stack.url}/health`).catch(() => null))?.status === 200, 60_000, 300);
    expect(isAlive(api)).toBe(true);
    expect(isAlive(worker)).toBe(true);

    const emulator = Number(/llm-emulator started \(pid (\d+)\)/.exec(stack.output())?.[1]);
    expect(isAlive(emulator)).toBe(true);
    process.kill(emulator, 'SIGKILL');
    await until('the emulator restarted', () => /llm-emulator restarted \(pid (\d+)\)/.exec(stack.output()), 60_000);
    expect(stack.output()).toMatch(/llm-emulator exited unexpectedly \(SIGKILL\); restarting/);
    // Back on the same port: a call through the API reaches it again.
    const completion = await until(
      'a completion through the restarted emulator',
      async () => {
        const res = await fetch(`${stack.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'margin/auto', max_tokens: 20, messages: [{ role: 'user', content: 'Are you back?' }] }),
        });
        return res.status === 200 && res;
      },
      60_000,
      1_000,
    );
    expect(completion.status).toBe(200);
    expect(isAlive(api)).toBe(true);
    expect(isAlive(worker)).toBe(true);
  });

  it('a revoked API key’s open progress socket is cut within seconds', async () => {
    const created = (await (
      await fetch(`${stack.url}/api/v1/api-keys`, { method: 'POST', headers: auth(), body: JSON.stringify({ name: 'to revoke' }) })
    ).json()) as { id: string; key: string };
    const socket = io(`${stack.url}/progress`, { transports: ['websocket'], reconnection: false, auth: { apiKey: created.key } });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const cut = { revoked: false, reason: '' };
    socket.on('auth.revoked', () => (cut.revoked = true));
    const disconnected = new Promise<number>((resolve) =>
      socket.on('disconnect', (reason) => {
        cut.reason = reason;
        resolve(Date.now());
      }),
    );
    expect(await socket.timeout(5_000).emitWithAck('subscribe', {})).toEqual({ ok: true });
    const revokedAt = Date.now();
    const res = await fetch(`${stack.url}/api/v1/api-keys/${created.id}`, { method: 'DELETE', headers: auth() });
    expect(res.status).toBeLessThan(300);
    const at = await Promise.race([disconnected, sleep(15_000).then(() => 0)]);
    socket.close();
    expect(at).toBeGreaterThan(0);
    expect(at - revokedAt).toBeLessThan(10_000);
    expect(cut).toEqual({ revoked: true, reason: 'io server disconnect' });
  });

  it('Ctrl-C still stops everything, restarted processes included', async () => {
    const pids = [...stack.output().matchAll(/(?:started|restarted) \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    const code = await stack.interrupt();
    expect(code).toBe(0);
    expect(stack.output()).toMatch(/\[margin\] stopped/);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });
});
