import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { METRICS_JOBS, QUEUES, type RollupPayload } from '@margin/contracts';
import { validatePayload } from '@margin/core';
import type { Job, Queue } from 'bull';
import { IsOptional, Matches } from 'class-validator';
import { AlertEvaluator } from '../alerts/alert-evaluator';
import { RollupService } from './rollup.service';

class RollupCommand implements RollupPayload {
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'day must be YYYY-MM-DD' })
  day?: string;
}

/** Hourly at :20 (UTC): yesterday and the day before, so rows booked late are counted once the day has settled. */
export const ROLLUP_CRON = '20 * * * *';
/** How often the alert rules are evaluated. */
export const ALERTS_EVERY_MS = 30_000;

/**
 * The metrics queue's scheduled work. Repeatable jobs are keyed by name and schedule in Redis, so every worker
 * registering them at start-up still gets one schedule, and one worker runs each occurrence.
 */
@Processor(QUEUES.metrics)
export class MetricsProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(MetricsProcessor.name);

  constructor(
    @InjectQueue(QUEUES.metrics) private readonly queue: Queue,
    private readonly rollups: RollupService,
    private readonly alerts: AlertEvaluator,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.add(METRICS_JOBS.rollup, {}, { repeat: { cron: ROLLUP_CRON, tz: 'UTC' }, removeOnComplete: 50, removeOnFail: 50, attempts: 3 });
    await this.queue.add(METRICS_JOBS.evaluateAlerts, {}, { repeat: { every: ALERTS_EVERY_MS }, removeOnComplete: 20, removeOnFail: 50, attempts: 1 });
  }

  @Process(METRICS_JOBS.rollup)
  async rollup(job: Job<unknown>): Promise<void> {
    const command = validatePayload(RollupCommand, job.data ?? {}, 'metrics.rollup payload');
    const days = command.day ? [command.day] : this.rollups.dueDays();
    for (const day of days) await this.rollups.rollupDay(day);
  }

  @Process(METRICS_JOBS.evaluateAlerts)
  async evaluate(): Promise<void> {
    const fired = await this.alerts.evaluateAll();
    if (fired.changed) this.logger.log(fired, 'Alert rules evaluated');
  }
}
