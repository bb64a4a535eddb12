import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { QUEUES } from '@margin/contracts';
import { Clock } from '@margin/core';
import type { Queue } from 'bull';
import { DEFAULT_RETENTION_DAYS } from '../settings/training-settings';
import { ExamplesQueryRepository } from './examples.repository';

export const PRUNE_EXAMPLES_JOB = 'training.prune-examples';
const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** Rows per DELETE: short statements, so the hot path's inserts never wait long behind one. */
const PRUNE_BATCH = 5_000;
/** At most this many batches per run; the next run (an hour later) goes on. */
const PRUNE_MAX_BATCHES = 200;

/** Deletes examples past their tenant's retention, in batches. */
@Injectable()
export class ExampleRetention {
  private readonly logger = new Logger(ExampleRetention.name);

  constructor(
    private readonly repo: ExamplesQueryRepository,
    private readonly clock: Clock,
  ) {}

  async prune(): Promise<number> {
    const now = this.clock.now();
    let total = 0;
    for (let i = 0; i < PRUNE_MAX_BATCHES; i++) {
      const deleted = await this.repo.deleteExpired(now, PRUNE_BATCH, DEFAULT_RETENTION_DAYS);
      total += deleted;
      if (deleted < PRUNE_BATCH) break;
    }
    if (total > 0) this.logger.log({ deleted: total }, `deleted ${total} training examples past their retention`);
    return total;
  }
}

/** Puts the hourly prune on the maintenance queue once (Bull keeps one repeatable job per key, however many workers start). */
@Injectable()
export class ExampleRetentionScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(ExampleRetentionScheduler.name);

  constructor(@InjectQueue(QUEUES.maintenance) private readonly queue: Queue) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.queue.add(PRUNE_EXAMPLES_JOB, {}, { repeat: { every: PRUNE_EVERY_MS }, jobId: PRUNE_EXAMPLES_JOB, removeOnComplete: true, removeOnFail: 10 });
    } catch (err) {
      this.logger.warn(`could not schedule the training-example retention: ${(err as Error).message}`);
    }
  }
}

@Processor(QUEUES.maintenance)
export class ExampleRetentionProcessor {
  constructor(private readonly retention: ExampleRetention) {}

  @Process(PRUNE_EXAMPLES_JOB)
  async prune(): Promise<void> {
    await this.retention.prune();
  }
}
