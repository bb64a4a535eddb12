import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatchTierService } from './batch-tier.service';

/**
 * The worker's batch loop: every poll interval, flush the model queues that are due and look at the batches
 * in flight. All of its state is in Postgres, so a restarted worker (or another one) carries on where it
 * stopped; the ledger keys make a second download of the same results book nothing.
 */
@Injectable()
export class BatchPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BatchPoller.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly tier: BatchTierService) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: flush, then poll (tests call it directly). */
  async tick(): Promise<{ submitted: number; ended: number }> {
    const submitted = await this.tier.flush();
    const ended = await this.tier.poll();
    return { submitted, ended };
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then(() => undefined)
        .catch((err: Error) => this.logger.warn(`batch pass failed: ${err.message}`))
        .finally(() => this.schedule(this.tier.pollIntervalMs));
    }, ms);
    this.timer.unref();
  }
}
