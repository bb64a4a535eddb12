import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { QUEUES, type AnalysisItemPayload } from '@margin/contracts';
import { AppConfig } from '@margin/core';
import type { Queue } from 'bull';
import { ItemRunner } from './item-runner';

/** Worker side: consumes the analysis queue with WORKER_CONCURRENCY items at once per process. */
@Injectable()
export class AnalysisProcessor implements OnModuleInit {
  private readonly logger = new Logger(AnalysisProcessor.name);

  constructor(
    @InjectQueue(QUEUES.analysis) private readonly queue: Queue<AnalysisItemPayload>,
    private readonly runner: ItemRunner,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    void this.queue.process('item', this.config.workerConcurrency, (job) =>
      this.runner.run(job.data, { attemptsMade: job.attemptsMade, maxAttempts: job.opts.attempts ?? 1 }),
    );
    this.logger.log({ concurrency: this.config.workerConcurrency }, 'Processing the analysis queue');
  }
}
