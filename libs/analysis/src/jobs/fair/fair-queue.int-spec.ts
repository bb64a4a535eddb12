import { BULL_PRIORITY, WORKER_HEARTBEAT_PREFIX } from '@margin/contracts';
import { strictMock } from '@margin/testing';
import Bull, { type Queue } from 'bull';
import IORedis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { FairShare, FairShares } from '../../quotas/fair-shares';
import { JobFeeder } from '../job-feeder';
import type { JobsRepository } from '../jobs.repository';
import { FAIR_PREFIX } from './fair-scripts';

// TEST_REDIS_URL picks a Redis database of one's own (this file flushes it).
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/13';

/** The fair queue against a real Redis and a real (paused, processor-less) Bull queue: what it hands to Bull, and when. */
describe('fair queue (Redis)', () => {
  let redis: IORedis;
  let queue: Queue;
  const shares = new Map<string, FairShare>();

  const ids = (n: number) => Array.from({ length: n }, (): { id: string; attempts: number } => ({ id: randomUUID(), attempts: 0 }));
  /** A feeder whose lookahead is what one worker of `concurrency` gives (2 × concurrency held + 2 × concurrency waiting). */
  const feeder = async (concurrency: number) => {
    await redis.set(`${WORKER_HEARTBEAT_PREFIX}test`, JSON.stringify({ id: 'test', queues: ['analysis'], concurrency }), 'EX', 60);
    const f = new JobFeeder(
      strictMock<JobsRepository>({}, 'JobsRepository'),
      queue as never,
      redis,
      strictMock<FairShares>({ of: async (t: string) => shares.get(t) ?? { weight: 1, maxRunning: null } }, 'FairShares'),
    );
    return f;
  };
  /** What Bull holds, in the order a worker would take it (priority, then arrival). */
  const inBull = async () => {
    const jobs = (await queue.getJobs(['waiting'])).filter((j) => j !== null);
    return jobs
      .map((j) => ({
        tenant: (j.data as { tenantId: string }).tenantId,
        item: (j.data as { itemId: string }).itemId,
        id: String(j.id),
        priority: j.opts.priority ?? 0,
        ts: j.timestamp,
      }))
      .sort((a, b) => a.priority - b.priority || a.ts - b.ts);
  };
  /** A worker finishing the first delivery Bull would hand out: gone from Bull, its place released. */
  const finishNext = async (f: JobFeeder) => {
    const [next] = await inBull();
    if (!next) throw new Error('nothing in Bull');
    await (await queue.getJob(next.id))?.remove();
    await f.release(next.item, next.id);
    return next;
  };
  /** Finishes `n` deliveries one by one; returns what was handed to Bull after each, in order. */
  const serve = async (f: JobFeeder, n: number) => {
    const handed: Array<{ tenant: string; item: string; id: string; priority: number }> = [];
    for (let i = 0; i < n; i++) {
      const before = new Set((await inBull()).map((x) => x.id));
      await finishNext(f);
      handed.push(...(await inBull()).filter((x) => !before.has(x.id) && x.id !== undefined));
    }
    return handed;
  };

  beforeAll(async () => {
    redis = new IORedis(REDIS_URL);
    queue = new Bull('analysis', REDIS_URL, { prefix: 'margin' });
    await queue.isReady();
  });
  beforeEach(async () => {
    await redis.flushdb();
    shares.clear();
  });
  afterAll(async () => {
    await queue.close();
    redis.disconnect();
  });

  it('keeps only the lookahead in Bull and hands the next item over as each delivery finishes', async () => {
    const f = await feeder(2); // lookahead 8
    expect(await f.lookahead()).toBe(8);
    const job = randomUUID();
    const items = ids(40);
    expect(await f.handOver('tenant-a', job, 'medium', items)).toBe(40);
    expect(await inBull()).toHaveLength(8);
    // The same items handed over again (a re-sent window) are held once.
    expect(await f.handOver('tenant-a', job, 'medium', items)).toBe(0);
    expect(await f.outstanding(job)).toBe(40);
    expect(await serve(f, 3)).toHaveLength(3);
    expect(await inBull()).toHaveLength(8);
    expect(await f.outstanding(job)).toBe(37);
    // A replayed release (the same delivery again) frees nothing more.
    const [head] = await inBull();
    if (!head) throw new Error('nothing in Bull');
    await f.release(head.item, `${head.item}:7`);
    expect(await redis.zcard(`${FAIR_PREFIX}inflight`)).toBe(8);
  });

  it('a tenant with nothing queued goes next, then tenants take turns at the same priority', async () => {
    const f = await feeder(1); // lookahead 4
    await f.handOver('tenant-a', randomUUID(), 'medium', ids(100));
    expect((await inBull()).map((x) => x.tenant)).toEqual(['tenant-a', 'tenant-a', 'tenant-a', 'tenant-a']);
    await f.handOver('tenant-b', randomUUID(), 'medium', ids(5));
    // Bull is full: B's first item is handed over at the very next release, ahead of A's 96 others; then
    // one each while both have items, and A alone once B's five are out.
    const order = (await serve(f, 11)).map((x) => x.tenant);
    expect(order).toEqual(['tenant-b', 'tenant-a', 'tenant-b', 'tenant-a', 'tenant-b', 'tenant-a', 'tenant-b', 'tenant-a', 'tenant-b', 'tenant-a', 'tenant-a']);
  });

  it('weights: a tenant of weight 3 gets three turns for each of a weight-1 tenant', async () => {
    shares.set('tenant-pro', { weight: 3, maxRunning: null });
    shares.set('tenant-free', { weight: 1, maxRunning: null });
    // Both queued before any worker is there (nothing dispatched yet), then a worker's pump starts them.
    await redis.del(`${WORKER_HEARTBEAT_PREFIX}test`);
    const before = new JobFeeder(
      strictMock<JobsRepository>({}),
      queue as never,
      redis,
      strictMock<FairShares>({ of: async (t: string) => shares.get(t) as FairShare }),
    );
    await before.handOver('tenant-pro', randomUUID(), 'medium', ids(200));
    await before.handOver('tenant-free', randomUUID(), 'medium', ids(200));
    const f = await feeder(1);
    expect(await f.pump()).toBe(4);
    const dispatched = (await serve(f, 80)).map((x) => x.tenant);
    expect(dispatched.slice(0, 8)).toEqual(['tenant-free', 'tenant-pro', 'tenant-pro', 'tenant-pro', 'tenant-free', 'tenant-pro', 'tenant-pro', 'tenant-pro']);
    expect(dispatched.filter((t) => t === 'tenant-pro')).toHaveLength(60);
    expect(dispatched.filter((t) => t === 'tenant-free')).toHaveLength(20);
  });

  it('caps: a tenant never has more than its plan allows in Bull; the others take the rest', async () => {
    shares.set('tenant-capped', { weight: 1, maxRunning: 2 });
    const f = await feeder(4); // lookahead 16
    await f.handOver('tenant-capped', randomUUID(), 'medium', ids(50));
    await f.handOver('tenant-other', randomUUID(), 'medium', ids(50));
    for (let i = 0; i < 30; i++) {
      const held = (await inBull()).filter((x) => x.tenant === 'tenant-capped').length;
      expect(held).toBeLessThanOrEqual(2);
      await finishNext(f);
    }
    const now = await inBull();
    expect(now).toHaveLength(16);
    expect(now.filter((x) => x.tenant === 'tenant-capped').length).toBeGreaterThanOrEqual(1);
    // Alone, a capped tenant still gets only its cap.
    await redis.flushdb();
    const g = await feeder(4);
    await g.handOver('tenant-capped', randomUUID(), 'medium', ids(50));
    expect(await inBull()).toHaveLength(2);
  });

  it('high goes first overall; within a tenant its own priorities keep their order', async () => {
    const f = await feeder(1);
    await f.handOver('tenant-a', randomUUID(), 'low', ids(20));
    await f.handOver('tenant-b', randomUUID(), 'medium', ids(4));
    await f.handOver('tenant-a', randomUUID(), 'high', ids(2));
    const handed = await serve(f, 8);
    const level = (p: number) => (p <= BULL_PRIORITY.high ? 'high' : p <= BULL_PRIORITY.medium ? 'medium' : 'low');
    expect(handed.map((x) => level(x.priority))).toEqual(['high', 'high', 'medium', 'medium', 'medium', 'medium', 'low', 'low']);
    // B's first item went ahead of the medium items already in Bull (one step, still behind high); its others did not.
    expect(handed.filter((x) => x.tenant === 'tenant-b').map((x) => x.priority)).toEqual([
      BULL_PRIORITY.medium - 1,
      BULL_PRIORITY.medium,
      BULL_PRIORITY.medium,
      BULL_PRIORITY.medium,
    ]);
  });

  it('a tenant’s jobs at one priority take turns, each job in hand-over order', async () => {
    const f = await feeder(1);
    const [j1, j2] = [randomUUID(), randomUUID()];
    const first = ids(30);
    const second = ids(30);
    await f.handOver('tenant-a', j1, 'medium', first);
    await f.handOver('tenant-a', j2, 'medium', second);
    const fromSecond = new Set(second.map((i) => i.id));
    const handed = await serve(f, 6);
    expect(handed.map((x) => fromSecond.has(x.item))).toEqual([false, true, false, true, false, true]);
    const order = first.map((i) => i.id);
    const ofFirst = handed.filter((x) => !fromSecond.has(x.item)).map((x) => order.indexOf(x.item));
    expect(ofFirst).toEqual([4, 5, 6]);
  });

  it('requeueLater: the item leaves Bull’s lookahead, waits, then goes first in its job under a new id; the old delivery releases nothing', async () => {
    const f = await feeder(1);
    const job = randomUUID();
    const items = ids(10);
    await f.handOver('tenant-a', job, 'medium', items);
    const [waiting] = await inBull();
    if (!waiting) throw new Error('nothing in Bull');
    await f.requeueLater('tenant-a', job, 'medium', { id: waiting.item, attempts: 1 }, 300);
    // Its delivery completes (the outage path returns normally): the place it held was already given back.
    await (await queue.getJob(waiting.id))?.remove();
    await f.release(waiting.item, waiting.id);
    const during = await inBull();
    expect(during.map((x) => x.item)).not.toContain(waiting.item);
    expect(during).toHaveLength(4);
    expect(await f.outstanding(job)).toBe(10);
    await new Promise((r) => setTimeout(r, 400));
    await f.pump();
    const [back] = await serve(f, 1);
    expect(back?.id).toBe(`${waiting.item}:wait1`);
    expect(await f.outstanding(job)).toBe(9);
  });

  it('drop forgets a cancelled job’s items that were not in Bull yet', async () => {
    const f = await feeder(1);
    const job = randomUUID();
    await f.handOver('tenant-a', job, 'medium', ids(20));
    expect(await f.drop(job)).toBe(16);
    expect(await f.outstanding(job)).toBe(4);
    await serve(f, 4);
    expect(await inBull()).toHaveLength(0);
    expect(await f.outstanding(job)).toBe(0);
  });

  it('a place whose Bull job was lost is repaired: the entry is handed to Bull again, under the same id', async () => {
    const f = await feeder(1);
    const job = randomUUID();
    await f.handOver('tenant-a', job, 'medium', ids(5));
    const [lost] = await inBull();
    if (!lost) throw new Error('nothing in Bull');
    await (await queue.getJob(lost.id))?.remove(); // as if the process died between the script and Bull's write
    expect(await inBull()).toHaveLength(3);
    expect(await f.repairInFlight(0)).toBe(1);
    expect((await inBull()).map((x) => x.id)).toContain(lost.id);
    // A healthy entry is left alone.
    expect(await f.repairInFlight(0)).toBe(0);
  });

  it('without live workers nothing enters Bull; the first worker’s pump hands items over', async () => {
    await redis.del(`${WORKER_HEARTBEAT_PREFIX}test`);
    const f = new JobFeeder(
      strictMock<JobsRepository>({}),
      queue as never,
      redis,
      strictMock<FairShares>({ of: async () => ({ weight: 1, maxRunning: null }) }),
    );
    await f.handOver('tenant-a', randomUUID(), 'medium', ids(10));
    expect(await inBull()).toHaveLength(0);
    expect(await redis.zcard(`${FAIR_PREFIX}inflight`)).toBe(0);
    const g = await feeder(1);
    expect(await g.pump()).toBe(4);
    expect(await inBull()).toHaveLength(4);
  });
});
