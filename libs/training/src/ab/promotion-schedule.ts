import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { QUEUES } from '@margin/contracts';
import { AppConfig, Clock } from '@margin/core';
import type { Queue } from 'bull';
import { PromotionsService } from './promotions.service';

export const EVALUATE_PROMOTIONS_JOB = 'training.evaluate-promotions';

/** The slot a run belongs to: the start of its period (a re-run or a second worker in the same period shares it). */
export function promotionSlot(now: Date, everyMs: number): Date {
  return new Date(Math.floor(now.getTime() / everyMs) * everyMs);
}

/**
 * Puts the promotion rule's evaluation on the maintenance queue every PROMOTION_EVALUATION_SECONDS (default an
 * hour). Bull keeps one repeatable job per name and period however many workers start; a period changed since
 * the last start replaces the old schedule instead of adding a second one.
 */
@Injectable()
export class PromotionScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(PromotionScheduler.name);

  constructor(
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const every = this.config.promotionEvaluationMs;
    try {
      for (const job of await this.queue.getRepeatableJobs()) {
        if (job.name === EVALUATE_PROMOTIONS_JOB && Number(job.every) !== every) await this.queue.removeRepeatableByKey(job.key);
      }
      await this.queue.add(
        EVALUATE_PROMOTIONS_JOB,
        {},
        { repeat: { every }, jobId: EVALUATE_PROMOTIONS_JOB, removeOnComplete: 20, removeOnFail: 20, attempts: 2 },
      );
    } catch (err) {
      this.logger.warn(`could not schedule the promotion rule's evaluation: ${(err as Error).message}`);
    }
  }
}

@Processor(QUEUES.maintenance)
export class PromotionEvaluationProcessor {
  private readonly logger = new Logger(PromotionEvaluationProcessor.name);

  constructor(
    private readonly promotions: PromotionsService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  @Process(EVALUATE_PROMOTIONS_JOB)
  async evaluate(): Promise<void> {
    const run = await this.promotions.evaluateScheduled(promotionSlot(this.clock.now(), this.config.promotionEvaluationMs));
    if (run.promoted || run.demoted || run.proposed) this.logger.log(run, 'promotion rule evaluated');
  }
}
