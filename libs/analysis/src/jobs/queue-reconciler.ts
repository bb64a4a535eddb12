import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { QUEUES, type AnalysisItemPayload } from '@margin/contracts';
import { Clock, REDIS } from '@margin/core';
import type { Queue } from 'bull';
import type Redis from 'ioredis';
import { itemQueueEntry, JobFeeder } from './job-feeder';
import { JobsRepository } from './jobs.repository';

const EVERY_MS = 60_000;
const STALE_MS = 60_000;
const RECHECK_SECONDS = 600;
/**
 * Present while Redis holds the queue's state. A Redis that restarted without its data (no persistence, a
 * new instance) no longer has it: whoever notices first re-sends every open job's unfinished items.
 */
export const QUEUE_EPOCH_KEY = 'margin:queue-epoch';

/**
 * Safety net, every minute in each worker: keeps open jobs' windows topped up (a feed missed while Redis was
 * away), and re-sends the queue entries of jobs that never started (lost between commit and queue). Bull
 * ignores an add whose id exists, so nothing is queued twice.
 */
@Injectable()
export class QueueReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QueueReconciler.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly feeder: JobFeeder,
    @InjectQueue(QUEUES.analysis) private readonly queue: Queue<AnalysisItemPayload>,
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
   * marker re-sends the unfinished items of every open job. Re-sending is safe: Bull ignores an entry whose id
   * it still holds, the runner skips an item that already finished, and a call is booked once per attempt id.
   * Returns how many entries were sent (0 when Redis still had its data or another process did it).
   */
  async recoverLostQueue(): Promise<number> {
    if ((await this.redis.set(QUEUE_EPOCH_KEY, this.clock.now().toISOString(), 'NX')) !== 'OK') return 0;
    let added = 0;
    for (let after: Date | null = null, page = 0; page < 1000; page++) {
      const jobs = await this.jobs.openJobs(this.clock.now(), 100, after ?? undefined);
      for (const job of jobs) {
        const items = await this.jobs.enqueuedUnfinishedItems(job.tenantId, job.id);
        for (let i = 0; i < items.length; i += 1000) {
          await this.queue.addBulk(items.slice(i, i + 1000).map((item) => itemQueueEntry(job.tenantId, job.id, job.priority, item)));
        }
        added += items.length;
      }
      if (jobs.length < 100) break;
      after = (jobs.at(-1) as (typeof jobs)[number]).createdAt;
    }
    if (added) this.logger.warn({ added }, 'Redis had lost the queue (restarted without its data): unfinished items of open jobs sent again');
    return added;
  }

  /** Tops up every open job's window, and re-sends the queue entries of jobs that never started. */
  async sweep(): Promise<number> {
    const jobs = await this.jobs.openJobs(new Date(this.clock.now().getTime() - STALE_MS), 100);
    let added = 0;
    for (const job of jobs) {
      const fed = await this.feeder.feed(job.tenantId, job.id, job.priority);
      added += fed;
      if (job.status !== 'queued') continue;
      // Never started a minute after submission: its entries may have been lost between commit and queue.
      // Checked once every few minutes per job, and not right after feeding it.
      if ((await this.redis.set(`margin:reconcile:${job.id}`, '1', 'EX', RECHECK_SECONDS, 'NX')) !== 'OK' || fed > 0) continue;
      const items = await this.jobs.enqueuedOpenItems(job.tenantId, job.id);
      for (let i = 0; i < items.length; i += 1000) {
        await this.queue.addBulk(items.slice(i, i + 1000).map((item) => itemQueueEntry(job.tenantId, job.id, job.priority, item)));
      }
      added += items.length;
    }
    if (added) this.logger.log({ added }, 'Items of open jobs handed to the queue');
    return added;
  }
}
