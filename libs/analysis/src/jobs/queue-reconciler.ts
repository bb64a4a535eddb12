import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Clock, REDIS } from '@margin/core';
import type Redis from 'ioredis';
import { JobFeeder } from './job-feeder';
import { JobsRepository } from './jobs.repository';

const EVERY_MS = 60_000;
const STALE_MS = 60_000;
/** A running item is re-sent only when it has run this long (one a live worker is on is left to it). */
const RUNNING_GRACE_MS = 120_000;
/** One process re-sends a job's lost items at a time, at most this often. */
const RESEND_EVERY_SECONDS = 50;
/**
 * Present while Redis holds the queue's state. A Redis that restarted without its data (no persistence, a
 * new instance) no longer has it: whoever notices first re-sends every open job's unfinished items.
 */
export const QUEUE_EPOCH_KEY = 'margin:queue-epoch';

/**
 * Safety net in each worker. When Redis comes back without its data, the process that notices first re-sends
 * every open job's unfinished items to the fair queue at once. Every minute: keeps open jobs' windows topped
 * up (a feed missed while Redis was away); re-sends the items Postgres says were handed to the queue but the
 * fair queue does not hold (lost between commit and hand-over, or with Redis's data); and repairs in-flight
 * entries whose Bull job is gone. Nothing runs twice: the fair queue holds an item once, Bull ignores an id it
 * has, the runner skips an item that already finished, and a call is booked once per attempt id.
 */
@Injectable()
export class QueueReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QueueReconciler.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly feeder: JobFeeder,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly clock: Clock,
  ) {}

  private readonly onReady = () => void this.recoverLostQueue().catch((err: Error) => this.logger.warn(`queue recovery failed: ${err.message}`));

  async onApplicationBootstrap(): Promise<void> {
    this.timer = setInterval(() => void this.sweep().catch((err: Error) => this.logger.warn(`reconcile failed: ${err.message}`)), EVERY_MS);
    this.timer.unref();
    // 'ready' fires again after every reconnect: the moment to find out whether Redis came back empty.
    this.redis.on('ready', this.onReady);
    await this.recoverLostQueue().catch((err: Error) => this.logger.warn(`queue recovery failed: ${err.message}`));
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.redis.off('ready', this.onReady);
  }

  /**
   * When Redis has no epoch marker, it lost the queue (or this is the first start): the process that sets the
   * marker re-sends the unfinished items of every open job to the fair queue. Returns how many it took.
   */
  async recoverLostQueue(): Promise<number> {
    if ((await this.redis.set(QUEUE_EPOCH_KEY, this.clock.now().toISOString(), 'NX')) !== 'OK') return 0;
    let added = 0;
    for (let after: Date | null = null, page = 0; page < 1000; page++) {
      const jobs = await this.jobs.openJobs(this.clock.now(), 100, after ?? undefined);
      for (const job of jobs) {
        added += await this.feeder.handOver(job.tenantId, job.id, job.priority, await this.jobs.enqueuedUnfinishedItems(job.tenantId, job.id));
      }
      if (jobs.length < 100) break;
      after = (jobs.at(-1) as (typeof jobs)[number]).createdAt;
    }
    if (added) this.logger.warn({ added }, 'Redis had lost the queue (restarted without its data): unfinished items of open jobs sent again');
    return added;
  }

  /** Tops up every open job's window, re-sends what the fair queue lost, repairs stale in-flight entries; returns how many items were handed over. */
  async sweep(): Promise<number> {
    const now = this.clock.now().getTime();
    const jobs = await this.jobs.openJobs(new Date(now - STALE_MS), 100);
    let added = 0;
    for (const job of jobs) {
      const fed = await this.feeder.feed(job.tenantId, job.id, job.priority);
      added += fed;
      if (fed > 0) continue;
      const [expected, held] = await Promise.all([this.jobs.enqueuedOpenCount(job.tenantId, job.id), this.feeder.outstanding(job.id)]);
      if (held >= expected) continue;
      if ((await this.redis.set(`margin:reconcile:${job.id}`, '1', 'EX', RESEND_EVERY_SECONDS, 'NX')) !== 'OK') continue;
      const items = await this.jobs.enqueuedOpenItems(job.tenantId, job.id, new Date(now - RUNNING_GRACE_MS));
      const resent = await this.feeder.handOver(job.tenantId, job.id, job.priority, items);
      if (resent) this.logger.warn({ jobId: job.id, resent, expected, held }, 'Items the queue had lost handed to it again');
      added += resent;
    }
    await this.feeder.repairInFlight(STALE_MS);
    if (added) this.logger.log({ added }, 'Items of open jobs handed to the queue');
    return added;
  }
}
