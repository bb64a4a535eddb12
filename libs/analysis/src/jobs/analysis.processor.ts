import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { QUEUES, type AnalysisItemPayload } from '@margin/contracts';
import { AppConfig } from '@margin/core';
import type { Job, Queue } from 'bull';
import { PREFETCH_FACTOR } from './fair/lookahead';
import { ItemRunner } from './item-runner';
import { JobFeeder } from './job-feeder';

/** Each worker pumps the fair queue this often: delayed re-entries that came due, and a lookahead left short. */
const PUMP_EVERY_MS = 1000;

/**
 * Worker side: consumes the analysis queue with WORKER_CONCURRENCY items at the model at once per process;
 * Bull hands it PREFETCH_FACTOR times as many (see RunSlots). Each delivery that is over gives its place in
 * Bull back to the fair queue (JobFeeder), which hands over the next item.
 */
@Injectable()
export class AnalysisProcessor implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AnalysisProcessor.name);
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectQueue(QUEUES.analysis) private readonly queue: Queue<AnalysisItemPayload>,
    private readonly runner: ItemRunner,
    private readonly feeder: JobFeeder,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const inHand = this.config.workerConcurrency * PREFETCH_FACTOR;
    void this.queue.process('item', inHand, (job) => this.deliver(job));
    this.timer = setInterval(() => void this.feeder.pump().catch((err: Error) => this.logger.warn(`pump failed: ${err.message}`)), PUMP_EVERY_MS);
    this.timer.unref();
    this.logger.log({ concurrency: this.config.workerConcurrency, inHand }, 'Processing the analysis queue');
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async deliver(job: Job<AnalysisItemPayload>): Promise<void> {
    const maxAttempts = job.opts.attempts ?? 1;
    try {
      await this.runner.run(job.data, { attemptsMade: job.attemptsMade, maxAttempts, priority: job.opts.priority });
    } catch (err) {
      // Bull retries it (the place stays taken) unless this was its last attempt.
      if (job.attemptsMade + 1 >= maxAttempts) await this.release(job);
      throw err;
    }
    await this.release(job);
  }

  /** A release that fails is repaired by the reconciler: it must not fail a delivery whose work is done. */
  private async release(job: Job<AnalysisItemPayload>): Promise<void> {
    const itemId = (job.data as Partial<AnalysisItemPayload> | undefined)?.itemId;
    if (typeof itemId !== 'string') return;
    await this.feeder
      .release(itemId, String(job.id))
      .catch((err: Error) => this.logger.warn({ itemId, err: err.message }, 'Could not release a fair-queue place'));
  }
}
