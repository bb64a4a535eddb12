// POST /analyze in instant mode through the real API, queue, worker and LLM emulator: a cache miss answers
// provisionally within its deadline while the full analysis is queued once; the full result then arrives on the
// progress socket and at the signed callback URL, and replaces the provisional one (the next call is a hit).
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PROGRESS_NAMESPACE, type AnalysisEnhancedEvent, type AnalyzeResponse } from '@margin/contracts';
import { webhookSignature } from '@margin/core';
import { makeSession, startEmulator, startTestApp, type RunningEmulator, type TestApp } from '@margin/testing';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import { createApp } from '../src/create-app';
import { MIGRATIONS } from '../src/migrations';
import { announceTestWorker, testWorkerModule } from './support/test-worker';

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const song = (n: number) => ({ title: `Instant song ${n}`, artist: 'The Quick', lyrics: `We kill the lights tonight ${n}\nand sing until the morning` });

describe('instant analysis', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  let heartbeat: { stop: () => Promise<void> } | undefined;
  let emulator: RunningEmulator;
  let receiver: Server;
  let callbackUrl: string;
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];

  beforeAll(async () => {
    // every model takes 1.5 s: longer than an instant answer may, so the full analysis is plainly later
    emulator = await startEmulator({ timeScale: 1, defaults: { latencyMs: 1_500, tokensPerSecond: 0 } });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    callbackUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/enhanced`;
    t = await startTestApp(createApp, { migrations: MIGRATIONS, env: { ...emulator.env, OUTBOUND_ALLOW_LOOPBACK: 'true' }, listen: true });
    worker = await NestFactory.createApplicationContext(testWorkerModule(t.config), { logger: false });
    await worker.init();
    heartbeat = await announceTestWorker(worker, 'instant-test');
  });
  afterAll(async () => {
    await heartbeat?.stop();
    await worker?.close();
    await t?.close();
    await emulator?.close();
    await new Promise<void>((r) => receiver?.close(() => r()));
  });

  const connect = async (token: string): Promise<{ socket: Socket; events: AnalysisEnhancedEvent[] }> => {
    const socket = io(`${t.url}${PROGRESS_NAMESPACE}`, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
    const events: AnalysisEnhancedEvent[] = [];
    socket.on('analysis.enhanced', (e: AnalysisEnhancedEvent) => events.push(e));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    expect(await socket.timeout(2000).emitWithAck('subscribe', {})).toMatchObject({ ok: true });
    return { socket, events };
  };

  it('answers a miss provisionally at once, queues the full analysis once, and pushes it to the socket and the signed callback', async () => {
    const { auth, token, tenant } = await makeSession(t.dataSource, t.http, { role: 'admin', plan: 'free' });
    const { socket, events } = await connect(token);
    try {
      const input = song(1);
      const started = Date.now();
      const first = await t.http.post('/api/v1/analyze').set(auth).send({ profile: 'song-analysis', input, mode: 'instant', callbackUrl }).expect(200);
      const firstMs = Date.now() - started;
      const body = first.body as AnalyzeResponse;
      expect(firstMs).toBeLessThan(2_000);
      expect(body).toMatchObject({ provisional: true, cached: false, costUsd: 0, provider: 'margin', model: 'rules:song-rules' });
      expect(body.result).toMatchObject({
        verdict: expect.any(String),
        concerns: [expect.objectContaining({ category: 'violence', line: 'We kill the lights tonight 1' })],
      });
      expect(body.enhancement).toEqual({ jobId: expect.any(String), itemId: expect.any(String) });

      // asked again while the full analysis runs: the same enhancement, no second job
      const again = (await t.http.post('/api/v1/analyze').set(auth).send({ profile: 'song-analysis', input, mode: 'instant' }).expect(200))
        .body as AnalyzeResponse;
      expect(again.enhancement).toEqual(body.enhancement);
      const jobs = await t.dataSource.query(`SELECT origin, priority, total_items FROM jobs WHERE tenant_id = $1`, [tenant.id]);
      expect(jobs).toEqual([{ origin: 'instant', priority: 'high', total_items: 1 }]);

      const enhanced = await until('the analysis.enhanced event', () => events[0]);
      expect(enhanced).toMatchObject({ ...body.enhancement, profile: 'song-analysis@1', status: 'completed', cached: false, error: null });
      expect(enhanced.result).toMatchObject({ summary: expect.any(String), verdict: expect.any(String) });
      expect(enhanced.model).toEqual(expect.any(String));

      const hook = await until('the callback', () => received[0]);
      expect(JSON.parse(hook.body)).toEqual({ event: 'analysis.enhanced', data: enhanced });
      const secret = (await t.http.get('/api/v1/analyze/callback-secret').set(auth).expect(200)).body as { secret: string };
      const header = String(hook.headers['x-margin-signature']);
      const ts = Number(/^t=(\d+),/.exec(header)?.[1]);
      expect(header).toBe(webhookSignature(secret.secret, hook.body, ts));
      // told once: the second caller gave no callback, and the notification is not repeated
      await new Promise((r) => setTimeout(r, 500));
      expect(received).toHaveLength(1);
      expect(events).toHaveLength(1);

      // the full result replaced the provisional one: now a hit, final
      const after = (await t.http.post('/api/v1/analyze').set(auth).send({ profile: 'song-analysis', input, mode: 'instant' }).expect(200))
        .body as AnalyzeResponse;
      expect(after).toMatchObject({ cached: true, result: enhanced.result });
      expect(after.provisional).toBeUndefined();
      // the free plan's one job a month is not used up by instant analyses (their items count as on-demand ones)
      await t.http
        .post('/api/v1/jobs')
        .set(auth)
        .send({ profile: 'song-analysis', items: [song(2)] })
        .expect(202);
    } finally {
      socket.close();
    }
  });

  it('a profile without an instant pass: the full result if ready within the deadline, else 202 with none', async () => {
    const { auth } = await makeSession(t.dataSource, t.http, { role: 'admin' });
    await t.http
      .post('/api/v1/profiles')
      .set(auth)
      .send({
        key: 'one-liner',
        name: 'One liner',
        inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false },
        steps: [
          {
            name: 'say',
            operation: 'draft',
            complexity: 'simple',
            prompt: 'Say one line about {{input.text}}',
            outputSchema: { type: 'object', properties: { line: { type: 'string', minLength: 1 } }, required: ['line'], additionalProperties: false },
          },
        ],
      })
      .expect(201);
    const slow = await t.http
      .post('/api/v1/analyze')
      .set(auth)
      .send({ profile: 'one-liner', input: { text: 'tea' }, mode: 'instant', deadlineMs: 300 })
      .expect(202);
    expect(slow.body).toMatchObject({ provisional: true, result: null, enhancement: { jobId: expect.any(String) } });
    // within a deadline longer than the model takes, the same request gets the full result
    const ready = await t.http
      .post('/api/v1/analyze')
      .set(auth)
      .send({ profile: 'one-liner', input: { text: 'tea' }, mode: 'instant', deadlineMs: 5_000 })
      .expect(200);
    expect(ready.body).toMatchObject({ provisional: false, enhancement: slow.body.enhancement });
    expect(ready.body.result).toBeTruthy();
  });

  it('refuses instant-only options without instant mode, bad deadlines and callback URLs, naming the field', async () => {
    const { auth, tenant } = await makeSession(t.dataSource, t.http, { role: 'member' });
    const post = (extra: Record<string, unknown>) =>
      t.http
        .post('/api/v1/analyze')
        .set(auth)
        .send({ profile: 'song-analysis', input: song(9), ...extra });
    expect(JSON.stringify((await post({ callbackUrl }).expect(400)).body)).toContain('callbackUrl');
    expect(JSON.stringify((await post({ deadlineMs: 500 }).expect(400)).body)).toContain('deadlineMs');
    expect(JSON.stringify((await post({ mode: 'instant', deadlineMs: 10 }).expect(400)).body)).toContain('deadlineMs');
    expect(JSON.stringify((await post({ mode: 'instant', callbackUrl: 'ftp://example.com/x' }).expect(400)).body)).toContain('callbackUrl');
    expect(JSON.stringify((await post({ mode: 'soon' }).expect(400)).body)).toContain('mode');
    // the callback secret is for admins
    await t.http.get('/api/v1/analyze/callback-secret').set(auth).expect(403);
    // nothing was queued by the refused requests
    expect(await t.dataSource.query(`SELECT id FROM jobs WHERE tenant_id = $1`, [tenant.id])).toEqual([]);
  });
});
