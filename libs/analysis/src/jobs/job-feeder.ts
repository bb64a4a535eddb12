import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { BULL_PRIORITY, QUEUES, type AnalysisItemPayload, type Priority } from '@margin/contracts';
import { REDIS } from '@margin/core';
import type { Queue } from 'bull';
import type Redis from 'ioredis';
import { JobsRepository } from './jobs.repository';

/** Items of one job in the queue at most; more are added when fewer than LOW_WATER remain. */
export const FEED_WINDOW = 2000;
export const FEED_LOW_WATER = 1000;
const BATCH = 1000;
/** A process asks Redis for a job's feeding turn (once a second across processes) at most this often. */
const LOCAL_THROTTLE_MS = 200;

/** The queue entry of one item: its id carries the attempt count, so a retried item is a new entry and a re-sent one is not. */
export function itemQueueEntry(tenantId: string, jobId: string, priority: Priority, item: { id: string; attempts: number }) {
  return {
    name: 'item',
    data: { tenantId, jobId, itemId: item.id },
    opts: { jobId: `${item.id}:${item.attempts}`, priority: BULL_PRIORITY[priority], attempts: 3, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: true, removeOnFail: 1000 },
  };
}

/**
 * Hands a job's items to the queue a window at a time, instead of all at submission: a 100,000-item job is
 * accepted without 100,000 queue writes, Redis holds a bounded number of entries per job, and a later
 * high-priority job still goes ahead of everything waiting. Called at submission, after each finished item
 * (at most once a second per job across processes) and by the reconciler's sweep.
 */
@Injectable()
export class JobFeeder {
  private readonly logger = new Logger(JobFeeder.name);

  constructor(
    private readonly repo: JobsRepository,
    @InjectQueue(QUEUES.analysis) private readonly queue: Queue<AnalysisItemPayload>,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** When this process last asked Redis whether a job may be fed: items finish by the thousand per second. */
  private readonly lastTry = new Map<string, number>();

  /** Adds the job's next items when its window runs low; returns how many were added. */
  async feed(tenantId: string, jobId: string, priority: Priority, options: { force?: boolean } = {}): Promise<number> {
    if (!options.force) {
      const now = Date.now();
      if ((this.lastTry.get(jobId) ?? 0) > now - LOCAL_THROTTLE_MS) return 0;
      if (this.lastTry.size > 10_000) this.lastTry.clear();
      this.lastTry.set(jobId, now);
      if ((await this.redis.set(`margin:feed:${jobId}`, '1', 'PX', 1000, 'NX')) !== 'OK') return 0;
    }
    const items = await this.repo.claimForQueue(tenantId, jobId, FEED_WINDOW, FEED_LOW_WATER);
    return this.handOver(tenantId, jobId, priority, items);
  }

  /** Adds items already marked as handed to the queue (claimForQueue, claimFirstWindow) to it; returns how many. */
  async handOver(tenantId: string, jobId: string, priority: Priority, items: Array<{ id: string; attempts: number }>): Promise<number> {
    for (let i = 0; i < items.length; i += BATCH) {
      await this.queue.addBulk(items.slice(i, i + BATCH).map((item) => itemQueueEntry(tenantId, jobId, priority, item)));
    }
    if (items.length) this.logger.debug({ jobId, added: items.length }, 'Items handed to the queue');
    return items.length;
  }
}
