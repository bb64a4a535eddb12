import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EVENTS_CHANNEL, type JobCounters, PROGRESS_NAMESPACE } from '@margin/contracts';
import { ConfigModule, RedisModule } from '@margin/core';
import type { Principal } from '@margin/identity';
import { testConfig } from '@margin/testing';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { JobCountersReader } from './job-counters.reader';
import { type HandshakeCredentials, ProgressAuthenticator } from './progress-authenticator';
import { ProgressGateway } from './progress.gateway';
import { PROGRESS_INTERVAL_MS, ProgressPublisher } from './progress.publisher';
import { RedisIoAdapter } from './redis-io.adapter';

const REDIS_URL = 'redis://127.0.0.1:6379/11';
const config = testConfig({ REDIS_URL });

const TENANT_A = randomUUID();
const TENANT_B = randomUUID();
const principal = (tenantId: string, via: Principal['via']): Principal => ({
  tenantId,
  role: 'member',
  userId: randomUUID(),
  apiKeyId: via === 'api-key' ? randomUUID() : null,
  via,
  operator: false,
});
const TOKENS: Record<string, Principal> = { 'jwt-a': principal(TENANT_A, 'jwt'), 'jwt-b': principal(TENANT_B, 'jwt') };
const KEYS: Record<string, Principal> = { 'mk_key-a': principal(TENANT_A, 'api-key') };

/** Stands in for AuthService: a fixed set of valid tokens and keys. */
class FakeAuthenticator extends ProgressAuthenticator {
  async authenticate({ token, apiKey }: HandshakeCredentials): Promise<Principal | null> {
    if (token) return TOKENS[token] ?? KEYS[token] ?? null;
    return apiKey ? (KEYS[apiKey] ?? null) : null;
  }
}

const counters = (jobId: string, over: Partial<JobCounters> = {}): JobCounters => ({
  jobId,
  status: 'running',
  total: 50,
  completed: 0,
  failed: 0,
  cached: 0,
  percentage: 0,
  etaSeconds: null,
  costUsd: 0,
  ...over,
});

/** Stands in for the jobs side: tenant-scoped counters the test can change. */
class FakeJobs extends JobCountersReader {
  readonly jobs = new Map<string, { tenantId: string; counters: JobCounters }>();
  add(tenantId: string): string {
    const jobId = randomUUID();
    this.jobs.set(jobId, { tenantId, counters: counters(jobId) });
    return jobId;
  }
  set(jobId: string, over: Partial<JobCounters>): JobCounters {
    const job = this.jobs.get(jobId)!;
    job.counters = { ...job.counters, ...over };
    return job.counters;
  }
  async counters(tenantId: string, jobId: string): Promise<JobCounters | null> {
    const job = this.jobs.get(jobId);
    return job && job.tenantId === tenantId ? { ...job.counters } : null;
  }
}

interface ConnectOptions {
  auth?: Record<string, string>;
  headers?: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('Progress feed (socket.io over Redis, two API instances)', () => {
  const jobs = new FakeJobs();
  const apps: INestApplication[] = [];
  const workers: INestApplicationContext[] = [];
  const ports: number[] = [];
  const clients: Socket[] = [];
  let redis: Redis;
  let worker: ProgressPublisher;
  let otherWorker: ProgressPublisher;

  async function startApi(): Promise<number> {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), RedisModule],
      providers: [ProgressGateway, { provide: ProgressAuthenticator, useClass: FakeAuthenticator }, { provide: JobCountersReader, useValue: jobs }],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const adapter = new RedisIoAdapter(app, config.redisUrl);
    await adapter.connectToRedis();
    app.useWebSocketAdapter(adapter);
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    return (app.getHttpServer().address() as AddressInfo).port;
  }

  /** A worker process: only the publisher, no socket.io server. */
  async function startWorker(): Promise<ProgressPublisher> {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), RedisModule],
      providers: [ProgressPublisher],
    }).compile();
    const ctx = await moduleRef.init();
    workers.push(ctx);
    return ctx.get(ProgressPublisher);
  }

  function open(port: number, options: ConnectOptions = {}): Socket {
    const socket = io(`http://127.0.0.1:${port}${PROGRESS_NAMESPACE}`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: options.auth ?? {},
      extraHeaders: options.headers,
    });
    clients.push(socket);
    return socket;
  }

  function connect(port: number, options: ConnectOptions = {}): Promise<Socket> {
    const socket = open(port, options);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  }

  function connectError(port: number, options: ConnectOptions = {}): Promise<string> {
    const socket = open(port, options);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected with bad credentials')));
      socket.once('connect_error', (err) => resolve(err.message));
    });
  }

  const ack = (socket: Socket, event: 'subscribe' | 'unsubscribe', body?: unknown): Promise<unknown> => socket.timeout(2000).emitWithAck(event, body ?? {});

  const markers = new Set<string>();

  /** The payloads of `event` this socket receives, with their arrival time (settle's markers left out). */
  function record<T>(socket: Socket, event: string): Array<T & { at: number }> {
    const seen: Array<T & { at: number }> = [];
    socket.on(event, (payload: T & { itemId?: string }) => {
      if (!markers.has(payload.itemId ?? '')) seen.push({ ...payload, at: Date.now() });
    });
    return seen;
  }

  /** Events from Redis arrive in order, so a marker sent last proves everything before it was delivered. */
  async function settle(socket: Socket, publisher: ProgressPublisher, tenantId: string, jobId: string): Promise<void> {
    const marker = randomUUID();
    markers.add(marker);
    let seen = false;
    const onItem = (e: { itemId: string }) => {
      if (e.itemId === marker) seen = true;
    };
    socket.on('item.completed', onItem);
    await publisher.itemCompleted(tenantId, { jobId, itemId: marker, index: -1, status: 'completed', cached: false, costUsd: 0 });
    await until('the marker event', () => seen);
    socket.off('item.completed', onItem);
  }

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    await redis.flushdb();
    ports.push(await startApi(), await startApi());
    worker = await startWorker();
    otherWorker = await startWorker();
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([...apps, ...workers].map((a) => a.close().catch(() => undefined)));
    await redis.quit();
  });

  it('refuses a handshake without valid credentials with connect_error "unauthorized"', async () => {
    const [port] = ports;
    expect(await connectError(port)).toBe('unauthorized');
    expect(await connectError(port, { auth: { token: 'forged' } })).toBe('unauthorized');
    expect(await connectError(port, { auth: { apiKey: 'mk_revoked' } })).toBe('unauthorized');
    expect(await connectError(port, { headers: { authorization: 'Bearer forged' } })).toBe('unauthorized');
    expect(await connectError(port, { headers: { 'x-api-key': 'mk_revoked' } })).toBe('unauthorized');
  });

  it('accepts a JWT or an API key in the handshake auth, or in the Authorization / X-API-Key headers', async () => {
    const [port] = ports;
    const jobId = jobs.add(TENANT_A);
    const ways: ConnectOptions[] = [
      { auth: { token: 'jwt-a' } },
      { auth: { apiKey: 'mk_key-a' } },
      { headers: { authorization: 'Bearer jwt-a' } },
      { headers: { authorization: 'Bearer mk_key-a' } },
      { headers: { 'x-api-key': 'mk_key-a' } },
    ];
    for (const options of ways) {
      const socket = await connect(port, options);
      // The principal found at the handshake is the one subscriptions are scoped by.
      expect(await ack(socket, 'subscribe', { jobId })).toMatchObject({ ok: true, job: { jobId } });
      socket.disconnect();
    }
  });

  it('subscribes to an own job with its counters; another tenant’s job or an unknown id is "not found"', async () => {
    const mine = jobs.add(TENANT_A);
    jobs.set(mine, { completed: 7, cached: 2, percentage: 14, costUsd: 0.0123 });
    const theirs = jobs.add(TENANT_B);
    const socket = await connect(ports[0], { auth: { token: 'jwt-a' } });
    const progress = record<JobCounters>(socket, 'job.progress');

    expect(await ack(socket, 'subscribe', { jobId: mine })).toEqual({
      ok: true,
      job: counters(mine, { completed: 7, cached: 2, percentage: 14, costUsd: 0.0123 }),
    });
    expect(await ack(socket, 'subscribe', { jobId: theirs })).toEqual({ ok: false, error: 'not found' });
    expect(await ack(socket, 'subscribe', { jobId: randomUUID() })).toEqual({ ok: false, error: 'not found' });
    expect(await ack(socket, 'subscribe', { jobId: 'not-a-uuid' })).toEqual({ ok: false, error: 'invalid jobId' });
    expect(await ack(socket, 'subscribe', { jobId: 42 })).toEqual({ ok: false, error: 'invalid jobId' });

    // A refused subscription joins nothing: the other tenant's progress never reaches this socket.
    await worker.jobCompleted(TENANT_B, counters(theirs, { status: 'completed', completed: 50, percentage: 100 }));
    await worker.jobCompleted(TENANT_A, counters(mine, { status: 'completed', completed: 50, percentage: 100 }));
    await until('own job.progress', () => progress.length > 0);
    await settle(socket, worker, TENANT_A, mine);
    expect(progress.map((p) => p.jobId)).toEqual([mine]);
  });

  it('delivers a worker’s events to clients of either API instance, once each', async () => {
    const jobId = jobs.add(TENANT_A);
    const onFirst = await connect(ports[0], { auth: { token: 'jwt-a' } });
    const onSecond = await connect(ports[1], { auth: { apiKey: 'mk_key-a' } });
    const stranger = await connect(ports[1], { auth: { token: 'jwt-b' } });
    expect(await ack(onFirst, 'subscribe', { jobId })).toMatchObject({ ok: true });
    expect(await ack(onSecond, 'subscribe', { jobId })).toMatchObject({ ok: true });
    expect(await ack(stranger, 'subscribe', {})).toEqual({ ok: true });
    const first = record(onFirst, 'item.completed');
    const second = record(onSecond, 'item.completed');
    const strangers = record(stranger, 'item.completed');

    const event = { jobId, itemId: randomUUID(), index: 3, status: 'completed' as const, cached: true, costUsd: 0 };
    await worker.itemCompleted(TENANT_A, event);
    await until('both clients', () => first.length > 0 && second.length > 0);
    await settle(onFirst, worker, TENANT_A, jobId);
    await settle(onSecond, worker, TENANT_A, jobId);

    expect(first).toEqual([{ ...event, at: expect.any(Number) }]);
    expect(second).toEqual([{ ...event, at: expect.any(Number) }]);
    expect(strangers).toEqual([]);
  });

  it('a tenant subscription gets every job of the tenant, once even when also subscribed to the job; unsubscribe stops it', async () => {
    const [one, two] = [jobs.add(TENANT_A), jobs.add(TENANT_A)];
    const other = jobs.add(TENANT_B);
    const socket = await connect(ports[1], { auth: { token: 'jwt-a' } });
    expect(await ack(socket, 'subscribe', {})).toEqual({ ok: true });
    expect(await ack(socket, 'subscribe', { jobId: one })).toMatchObject({ ok: true });
    const items = record<{ jobId: string; itemId: string }>(socket, 'item.completed');

    const item = (jobId: string, index: number) => ({ jobId, itemId: randomUUID(), index, status: 'completed' as const, cached: false, costUsd: 0.001 });
    await worker.itemCompleted(TENANT_A, item(one, 0));
    await otherWorker.itemCompleted(TENANT_A, item(two, 0));
    await worker.itemCompleted(TENANT_B, item(other, 0));
    await settle(socket, worker, TENANT_A, two);
    expect(items.map((i) => i.jobId)).toEqual([one, two]);

    expect(await ack(socket, 'unsubscribe', {})).toEqual({ ok: true });
    expect(await ack(socket, 'unsubscribe', { jobId: one })).toEqual({ ok: true });
    items.length = 0;
    // An observer on the same API instance, still subscribed to the tenant: once it has both events, that
    // instance has handled them (one Redis subscription delivers to both sockets, in order).
    const observer = await connect(ports[1], { auth: { token: 'jwt-a' } });
    expect(await ack(observer, 'subscribe', {})).toEqual({ ok: true });
    const observed = record<{ jobId: string; itemId: string }>(observer, 'item.completed');
    const late = [item(one, 1), item(two, 1)];
    await worker.itemCompleted(TENANT_A, late[0] as ReturnType<typeof item>);
    await worker.itemCompleted(TENANT_A, late[1] as ReturnType<typeof item>);
    await until('the observer got both', () => late.every((l) => observed.some((o) => o.itemId === l.itemId)));
    // Re-subscribe to one job only as a marker channel: nothing sent before it may arrive.
    expect(await ack(socket, 'subscribe', { jobId: two })).toMatchObject({ ok: true });
    await settle(socket, worker, TENANT_A, two);
    expect(items).toEqual([]);
  });

  it('throttles job.progress to about 4 a second per job across workers, the last one carrying the latest counters', async () => {
    const jobId = jobs.add(TENANT_A);
    const socket = await connect(ports[0], { auth: { token: 'jwt-a' } });
    expect(await ack(socket, 'subscribe', { jobId })).toMatchObject({ ok: true });
    const progress = record<JobCounters>(socket, 'job.progress');

    const started = Date.now();
    for (let i = 1; i <= 50; i++) {
      jobs.set(jobId, { completed: i, percentage: i * 2 });
      // Two worker processes finishing items of the same job, interleaved.
      await (i % 2 ? worker : otherWorker).jobProgress(TENANT_A, jobId, () => jobs.counters(TENANT_A, jobId).then((c) => c!));
      await sleep(20);
    }
    const elapsed = Date.now() - started;
    await until('the latest counters', () => progress.at(-1)?.completed === 50, 2000);
    await sleep(PROGRESS_INTERVAL_MS * 2); // nothing more may follow

    expect(progress.at(-1)).toMatchObject({ jobId, completed: 50, percentage: 100 });
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(elapsed / PROGRESS_INTERVAL_MS) + 2);
    const gaps = progress.slice(1).map((p, i) => p.at - progress[i].at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(PROGRESS_INTERVAL_MS - 60);
    // Counters only move forward.
    const completed = progress.map((p) => p.completed);
    expect(completed).toEqual([...completed].sort((a, b) => a - b));
  });

  it('jobCompleted always delivers the final job.progress, then job.completed, and nothing after', async () => {
    const jobId = jobs.add(TENANT_A);
    const socket = await connect(ports[1], { auth: { token: 'jwt-a' } });
    expect(await ack(socket, 'subscribe', { jobId })).toMatchObject({ ok: true });
    const seen: Array<[string, JobCounters]> = [];
    socket.on('job.progress', (c: JobCounters) => seen.push(['job.progress', c]));
    socket.on('job.completed', (c: JobCounters) => seen.push(['job.completed', c]));

    const read = () => jobs.counters(TENANT_A, jobId).then((c) => c!);
    jobs.set(jobId, { completed: 48, percentage: 96 });
    await worker.jobProgress(TENANT_A, jobId, read); // takes the slot
    jobs.set(jobId, { completed: 49, percentage: 98 });
    await worker.jobProgress(TENANT_A, jobId, read); // throttled: leaves a trailing emission
    await otherWorker.jobProgress(TENANT_A, jobId, read); // throttled in the other worker too
    const final = jobs.set(jobId, { status: 'completed_with_errors', completed: 49, failed: 1, percentage: 100, costUsd: 0.42 });
    await worker.jobCompleted(TENANT_A, final);

    await until('job.completed', () => seen.some(([e]) => e === 'job.completed'));
    await sleep(PROGRESS_INTERVAL_MS * 2 + 100); // past every trailing timer
    expect(seen).toEqual([
      ['job.progress', counters(jobId, { completed: 48, percentage: 96 })],
      ['job.progress', final],
      ['job.completed', final],
    ]);
  });

  it('relays a budget alert from EVENTS_CHANNEL to the tenant’s subscribers exactly once with two instances', async () => {
    const onFirst = await connect(ports[0], { auth: { token: 'jwt-a' } });
    const onSecond = await connect(ports[1], { auth: { apiKey: 'mk_key-a' } });
    const jobOnly = await connect(ports[0], { auth: { token: 'jwt-a' } });
    const stranger = await connect(ports[0], { auth: { token: 'jwt-b' } });
    for (const s of [onFirst, onSecond, stranger]) expect(await ack(s, 'subscribe', {})).toEqual({ ok: true });
    expect(await ack(jobOnly, 'subscribe', { jobId: jobs.add(TENANT_A) })).toMatchObject({ ok: true });
    const [first, second, jobOnlys, strangers] = [onFirst, onSecond, jobOnly, stranger].map((s) => record(s, 'budget.alert'));

    await redis.publish(EVENTS_CHANNEL, 'not json');
    await redis.publish(EVENTS_CHANNEL, JSON.stringify({ type: 'something.else', tenantId: TENANT_A }));
    await redis.publish(EVENTS_CHANNEL, JSON.stringify({ type: 'budget.alert', tenantId: TENANT_A, threshold: 0.8, spentUsd: 8.5, limitUsd: 10 }));
    await until('the alert on both instances', () => first.length > 0 && second.length > 0);
    await sleep(300); // a duplicate through the other instance would have arrived by now

    const alert = { threshold: 0.8, spentUsd: 8.5, limitUsd: 10, at: expect.any(Number) };
    expect(first).toEqual([alert]);
    expect(second).toEqual([alert]);
    expect(jobOnlys).toEqual([]);
    expect(strangers).toEqual([]);
  });

  it('relays a metrics alert (event alert) to the tenant’s subscribers exactly once with two instances', async () => {
    const onFirst = await connect(ports[0], { auth: { token: 'jwt-a' } });
    const onSecond = await connect(ports[1], { auth: { apiKey: 'mk_key-a' } });
    const stranger = await connect(ports[0], { auth: { token: 'jwt-b' } });
    for (const s of [onFirst, onSecond, stranger]) expect(await ack(s, 'subscribe', {})).toEqual({ ok: true });
    const [first, second, strangers] = [onFirst, onSecond, stranger].map((s) => record(s, 'alert'));
    await redis.publish(EVENTS_CHANNEL, JSON.stringify({ type: 'alert', tenantId: TENANT_A, rule: 'r', state: 'nope', value: 1 }));
    await redis.publish(
      EVENTS_CHANNEL,
      JSON.stringify({ type: 'alert', tenantId: TENANT_A, rule: 'backlog', state: 'firing', value: 12, subject: 'analysis' }),
    );
    await until('the alert on both instances', () => first.length > 0 && second.length > 0);
    await sleep(300);
    const alert = { rule: 'backlog', state: 'firing', value: 12, subject: 'analysis', at: expect.any(Number) };
    expect(first).toEqual([alert]);
    expect(second).toEqual([alert]);
    expect(strangers).toEqual([]);
  });

  it('closes every Redis connection it opened when the apps and workers shut down', async () => {
    const ours = async () => {
      const list = (await redis.client('LIST')) as string;
      return list.split('\n').filter((line) => / db=11 /.test(line)).length;
    };
    expect(await ours()).toBeGreaterThan(1);
    for (const c of clients) c.disconnect();
    await Promise.all([...apps, ...workers].map((a) => a.close()));
    apps.length = 0;
    workers.length = 0;
    const end = Date.now() + 3000;
    while ((await ours()) > 1 && Date.now() < end) await sleep(50);
    expect(await ours()).toBe(1);
  });
});
