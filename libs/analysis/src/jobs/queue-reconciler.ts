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

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep().catch((err: Error) => this.logger.warn(`reconcile failed: ${err.message}`)), EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
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
