import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { BULL_PRIORITY, QUEUES, WORKER_HEARTBEAT_PREFIX, type AnalysisItemPayload, type Priority, type WorkerHeartbeat } from '@margin/contracts';
import { GroupCommit, REDIS, replyNumber, replyString, sleep, ttlCache, type ScriptCall } from '@margin/core';
import type { JobOptions, Queue } from 'bull';
import type Redis from 'ioredis';
import { FairShares } from '../quotas/fair-shares';
import { ADD_SCRIPT, DROP_SCRIPT, FAIR_PREFIX, LATER_SCRIPT, PUMP_SCRIPT, STALE_SCRIPT } from './fair/fair-scripts';
import { lookaheadFor, slotsOf } from './fair/lookahead';
import { JobsRepository } from './jobs.repository';

/** Items of one job in the fair queue at most; more are claimed from Postgres when fewer than LOW_WATER remain. */
export const FEED_WINDOW = 2000;
export const FEED_LOW_WATER = 1000;
/** Items per hand-over script call (arguments of one EVALSHA). */
const BATCH = 1000;
/** Items handed to Bull per dispatch call at most (a release batch dispatches as many as it freed). */
const DISPATCH_MAX = 1000;
/** A process asks Redis for a job's feeding turn (once a second across processes) at most this often. */
const LOCAL_THROTTLE_MS = 200;
/** How long the workers' heartbeats (the lookahead) are trusted before they are read again. */
const LOOKAHEAD_TTL_MS = 2000;

/** One entry the fair queue handed to Bull. */
export interface Dispatched {
  itemId: string;
  /** Bull's job id: the item, its attempt count and, for a delayed re-entry, its re-entry count. */
  queueId: string;
  tenantId: string;
  jobId: string;
  priority: Priority;
  /** The first item of a tenant that just joined the line: ahead of the items of its priority already in Bull. */
  ahead: boolean;
  /** Attempts the item failed on its own before it waited for a provider (requeueLater): its delivery counts on from them. */
  spentAttempts: number;
}

const PRIORITIES: readonly Priority[] = ['high', 'medium', 'low'];
const asPriority = (p: string): Priority => ((PRIORITIES as readonly string[]).includes(p) ? (p as Priority) : 'medium');

/**
 * The queue entry of one item: its id carries the attempt count, so a retried item is a new entry and a
 * re-sent one is not (`queueId`, when given, is the id the fair queue chose, e.g. for a delayed re-entry).
 * `ahead` puts it before the other items of its priority in Bull (one Bull priority step, never past the
 * next level: high stays first).
 */
export function itemQueueEntry(
  tenantId: string,
  jobId: string,
  priority: Priority,
  item: { id: string; attempts: number; queueId?: string; ahead?: boolean; spentAttempts?: number },
): { name: string; data: AnalysisItemPayload; opts: JobOptions & { jobId: string } } {
  return {
    name: 'item',
    data: item.spentAttempts ? { tenantId, jobId, itemId: item.id, spentAttempts: item.spentAttempts } : { tenantId, jobId, itemId: item.id },
    opts: {
      jobId: item.queueId ?? `${item.id}:${item.attempts}`,
      priority: item.ahead && priority !== 'high' ? BULL_PRIORITY[priority] - 1 : BULL_PRIORITY[priority],
      attempts: 3,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: true,
      removeOnFail: 1000,
    },
  };
}

/** Parses a script's {itemId, queueId, tenant, job, priority, ahead, spent, ...} reply from `offset` on. */
function dispatchedFrom(reply: unknown, offset: number): Dispatched[] {
  const n = Array.isArray(reply) ? reply.length : 0;
  const out: Dispatched[] = [];
  for (let i = offset; i + 6 < n; i += 7) {
    out.push({
      itemId: replyString(reply, i),
      queueId: replyString(reply, i + 1),
      tenantId: replyString(reply, i + 2),
      jobId: replyString(reply, i + 3),
      priority: asPriority(replyString(reply, i + 4)),
      ahead: replyNumber(reply, i + 5) === 1,
      spentAttempts: replyNumber(reply, i + 6) ?? 0,
    });
  }
  return out;
}

/**
 * The fair queue in front of Bull. A job's items come from Postgres a window at a time (a 100,000-item job is
 * accepted without 100,000 queue writes, and Redis holds a bounded number of entries per job) into its ready
 * set in Redis; a dispatcher (Lua, atomic) hands them to the shared Bull queue only while fewer than the
 * lookahead (what the live workers hold, plus a little) are there, refilled as deliveries finish. Priorities
 * are strict; within one, tenants take turns weighted by plan (Hatchet's GROUP_ROUND_ROBIN, BullMQ Pro's
 * groups), each under its plan's cap, and a tenant with nothing queued joins at the head of the line. So a
 * new tenant's first item, like a high-priority one, waits behind at most the lookahead, never a backlog.
 *
 * Every item the fair queue holds has one entry (`items` in fair-scripts.ts), so handing the same item over
 * twice adds it once; Bull ignores an add whose id exists; the reconciler re-sends what Redis lost.
 */
@Injectable()
export class JobFeeder implements OnApplicationShutdown {
  private readonly logger = new Logger(JobFeeder.name);
  /** When this process last asked Redis whether a job may be fed: items finish by the thousand per second. */
  private readonly lastTry = ttlCache<string, true>({ max: 10_000, ttlMs: LOCAL_THROTTLE_MS });
  private workersCache: { value: WorkerHeartbeat[]; until: number } | null = null;
  /** Finished deliveries are released in batches (one script call and one Bull write per batch, not per item). */
  private readonly releases = new GroupCommit<{ itemId: string; queueId: string }, void>((rows) => this.releaseBatch(rows), { maxBatch: 500, parallel: 1 });
  /** The fair queue's scripts (fair-scripts.ts) on the shared connection. */
  private readonly fair: Record<'add' | 'pump' | 'later' | 'drop' | 'stale', ScriptCall>;

  constructor(
    private readonly repo: JobsRepository,
    @InjectQueue(QUEUES.analysis) private readonly queue: Queue<AnalysisItemPayload>,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly shares: FairShares,
  ) {
    this.fair = {
      add: ADD_SCRIPT.defineOn(redis),
      pump: PUMP_SCRIPT.defineOn(redis),
      later: LATER_SCRIPT.defineOn(redis),
      drop: DROP_SCRIPT.defineOn(redis),
      stale: STALE_SCRIPT.defineOn(redis),
    };
  }

  /** Claims the job's next window from Postgres when it runs low and hands it over; returns how many were added. */
  async feed(tenantId: string, jobId: string, priority: Priority, options: { force?: boolean } = {}): Promise<number> {
    if (!options.force) {
      if (this.lastTry.has(jobId)) return 0;
      this.lastTry.set(jobId, true);
      if ((await this.redis.set(`margin:feed:${jobId}`, '1', 'PX', 1000, 'NX')) !== 'OK') return 0;
    }
    const items = await this.repo.claimForQueue(tenantId, jobId, FEED_WINDOW, FEED_LOW_WATER);
    return this.handOver(tenantId, jobId, priority, items);
  }

  /**
   * Adds items already marked as handed to the queue (claimForQueue, or insertItems for a new job's first window) to the tenant's ready
   * set, then dispatches what the lookahead allows; returns how many were new to the fair queue.
   */
  async handOver(tenantId: string, jobId: string, priority: Priority, items: Array<{ id: string; attempts: number }>): Promise<number> {
    if (items.length === 0) return 0;
    const share = await this.shares.of(tenantId);
    const lookahead = await this.lookahead();
    let added = 0;
    for (let i = 0; i < items.length; i += BATCH) {
      const args: Array<string | number> = [FAIR_PREFIX, tenantId, jobId, priority, share.weight, share.maxRunning ?? 0, lookahead, Date.now(), DISPATCH_MAX];
      for (const item of items.slice(i, i + BATCH)) args.push(item.id, item.attempts);
      const reply = await this.fair.add([], args);
      added += replyNumber(reply, 0) ?? 0;
      await this.toBull(dispatchedFrom(reply, 1));
    }
    this.logger.debug({ jobId, added }, 'Items handed to the fair queue');
    return added;
  }

  /**
   * Puts an item that cannot run now (a provider outage) back in the queue after `delayMs`, without holding a
   * place in Bull meanwhile: it waits in Redis, then goes first among its job's ready items as Bull job
   * `<item>:wait<waits>` (the delivery that called this completes normally and releases nothing), its payload
   * carrying `spentAttempts`. `item.attempts` is the item's attempt count as stored; `waits` its wait count
   * (0 or absent: one more than the fair queue has seen).
   */
  async requeueLater(
    tenantId: string,
    jobId: string,
    priority: Priority,
    item: { id: string; attempts: number; waits?: number; spentAttempts?: number },
    delayMs: number,
  ): Promise<void> {
    const wait = Math.max(0, Math.ceil(delayMs));
    await this.fair.later([], [FAIR_PREFIX, tenantId, jobId, priority, item.id, item.attempts, Date.now() + wait, item.waits ?? 0, item.spentAttempts ?? 0]);
    // This process pumps when it is due; every worker's one-second pump is the fallback.
    setTimeout(() => void this.pump().catch((err: Error) => this.logger.warn(`pump failed: ${err.message}`)), wait + 5).unref();
  }

  /** A delivery of the analysis queue is over (done, or failed for good): its place goes to the next item. */
  release(itemId: string, queueId: string): Promise<void> {
    return this.releases.add({ itemId, queueId });
  }

  /** Promotes due re-entries and fills the lookahead (each worker, every second, and when a delay ends). */
  async pump(): Promise<number> {
    const reply = await this.fair.pump([], [FAIR_PREFIX, await this.lookahead(), Date.now(), DISPATCH_MAX]);
    const dispatched = dispatchedFrom(reply, 1);
    await this.toBull(dispatched);
    return dispatched.length;
  }

  /** Forgets a cancelled job's items that are not in Bull yet; returns how many. */
  async drop(jobId: string): Promise<number> {
    return Number(await this.fair.drop([], [FAIR_PREFIX, jobId]));
  }

  /** Items of the job the fair queue holds (ready, in Bull, or delayed). */
  async outstanding(jobId: string): Promise<number> {
    return Number((await this.redis.hget(`${FAIR_PREFIX}jobout`, jobId)) ?? 0);
  }

  /**
   * In-flight entries handed to Bull more than `staleMs` ago whose Bull job is gone (lost between the dispatch
   * and Bull's write, or a release that never came) are handed to Bull again: a finished item's delivery is a
   * no-op that releases its place. Those Bull failed for good are released (the reconciler re-sends the item
   * if Postgres still has it open). Returns how many were repaired.
   */
  async repairInFlight(staleMs: number, limit = 500): Promise<number> {
    const now = Date.now();
    const stale = dispatchedFrom(await this.fair.stale([], [FAIR_PREFIX, now - staleMs, now, limit]), 0);
    const resend: Dispatched[] = [];
    let released = 0;
    for (const d of stale) {
      const job = await this.queue.getJob(d.queueId);
      if (!job) resend.push(d);
      else if (await job.isFailed()) {
        await this.release(d.itemId, d.queueId);
        released++;
      }
    }
    await this.toBull(resend);
    if (resend.length || released) this.logger.log({ resent: resend.length, released }, 'In-flight entries repaired');
    return resend.length + released;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.releases.drain();
  }

  private async releaseBatch(rows: Array<{ itemId: string; queueId: string }>): Promise<void[]> {
    const args: Array<string | number> = [FAIR_PREFIX, await this.lookahead(), Date.now(), DISPATCH_MAX];
    for (const r of rows) args.push(r.itemId, r.queueId);
    const reply = await this.fair.pump([], args);
    await this.toBull(dispatchedFrom(reply, 1));
    return rows.map(() => undefined);
  }

  /** Bull ignores an add whose id exists: entries the script handed out are written, retried briefly, never twice. */
  private async toBull(dispatched: Dispatched[]): Promise<void> {
    if (dispatched.length === 0) return;
    const entries = dispatched.map((d) =>
      itemQueueEntry(d.tenantId, d.jobId, d.priority, { id: d.itemId, attempts: 0, queueId: d.queueId, ahead: d.ahead, spentAttempts: d.spentAttempts }),
    );
    for (let attempt = 0; ; attempt++) {
      try {
        await this.queue.addBulk(entries);
        return;
      } catch (err) {
        // Left in flight, they are found by repairInFlight.
        if (attempt >= 2) throw err;
        await sleep(50 * (attempt + 1));
      }
    }
  }

  /** Items to keep in Bull, from the live workers' heartbeats (read every couple of seconds). */
  async lookahead(): Promise<number> {
    return lookaheadFor(await this.liveWorkers(), QUEUES.analysis);
  }

  /** Items the live workers run at once (0 without workers), from their heartbeats. */
  async slots(): Promise<number> {
    return slotsOf(await this.liveWorkers(), QUEUES.analysis);
  }

  /** The live workers' heartbeats (read every couple of seconds). */
  private async liveWorkers(): Promise<WorkerHeartbeat[]> {
    const now = Date.now();
    if (this.workersCache && this.workersCache.until > now) return this.workersCache.value;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${WORKER_HEARTBEAT_PREFIX}*`, 'COUNT', 100);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    const beats = keys.length ? await this.redis.mget(keys) : [];
    const workers: WorkerHeartbeat[] = [];
    for (const b of beats) {
      if (!b) continue;
      try {
        workers.push(JSON.parse(b) as WorkerHeartbeat);
      } catch {
        /* a malformed heartbeat counts as no worker */
      }
    }
    this.workersCache = { value: workers, until: now + LOOKAHEAD_TTL_MS };
    return workers;
  }
}
