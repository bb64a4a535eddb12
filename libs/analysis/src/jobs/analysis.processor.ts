import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { QUEUES, type AnalysisItemPayload } from '@margin/contracts';
import { AppConfig } from '@margin/core';
import type { Queue } from 'bull';
import { ItemRunner } from './item-runner';

/** Items a process holds per model slot: one at the model, one claimed and ready to take the slot when it frees. */
export const PREFETCH_FACTOR = 2;

/**
 * Worker side: consumes the analysis queue with WORKER_CONCURRENCY items at the model at once per process;
 * Bull hands it PREFETCH_FACTOR times as many (see RunSlots).
 */
@Injectable()
export class AnalysisProcessor implements OnModuleInit {
  private readonly logger = new Logger(AnalysisProcessor.name);

  constructor(
    @InjectQueue(QUEUES.analysis) private readonly queue: Queue<AnalysisItemPayload>,
    private readonly runner: ItemRunner,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const inHand = this.config.workerConcurrency * PREFETCH_FACTOR;
    void this.queue.process('item', inHand, (job) =>
      this.runner.run(job.data, { attemptsMade: job.attemptsMade, maxAttempts: job.opts.attempts ?? 1, priority: job.opts.priority }),
    );
    this.logger.log({ concurrency: this.config.workerConcurrency, inHand }, 'Processing the analysis queue');
  }
}
