import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BULL_PRIORITY, QUEUES, type AnalysisItemPayload } from '@margin/contracts';
import { Clock, REDIS } from '@margin/core';
import type { Queue } from 'bull';
import type Redis from 'ioredis';
import { JobsRepository } from './jobs.repository';

const EVERY_MS = 60_000;
const STALE_MS = 60_000;
const RECHECK_SECONDS = 600;

/**
 * Safety net for the gap between committing a job and queueing its items (Redis down at that moment, the API
 * killed in between): jobs that never started get their queued items added again. Bull ignores an add whose
 * job id (the item id) exists, so this never queues an item twice.
 */
@Injectable()
export class QueueReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(QueueReconciler.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly jobs: JobsRepository,
    @InjectQueue(QUEUES.analysis) private readonly queue: Queue<AnalysisItemPayload>,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep().catch((err: Error) => this.logger.warn(`reconcile failed: ${err.message}`)), EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async sweep(): Promise<number> {
    const jobs = await this.jobs.unstartedJobs(new Date(this.clock.now().getTime() - STALE_MS), 100);
    let requeued = 0;
    for (const job of jobs) {
      // One sweep per job every few minutes, across all workers.
      if ((await this.redis.set(`margin:reconcile:${job.id}`, '1', 'EX', RECHECK_SECONDS, 'NX')) !== 'OK') continue;
      const items = await this.jobs.itemIds(job.tenantId, job.id, 'queued');
      for (let i = 0; i < items.length; i += 1000) {
        await this.queue.addBulk(
          items.slice(i, i + 1000).map((itemId) => ({
            name: 'item',
            data: { tenantId: job.tenantId, jobId: job.id, itemId },
            opts: { jobId: itemId, priority: BULL_PRIORITY[job.priority], attempts: 3, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: true, removeOnFail: 1000 },
          })),
        );
      }
      requeued += items.length;
    }
    if (requeued) this.logger.log({ requeued }, 'Queued items of jobs that had not started were added to the queue again');
    return requeued;
  }
}
