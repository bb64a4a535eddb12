import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { MAINTENANCE_JOBS, QUEUES, type TouchApiKeyPayload } from '@margin/contracts';
import { Clock, REDIS, ttlCache } from '@margin/core';
import type { Queue } from 'bull';
import type Redis from 'ioredis';

const TOUCH_INTERVAL_SECONDS = 60;

/**
 * Records when a key was last used without a database write on the request path: at most once a minute
 * per key (across API instances, via Redis) a job goes to the worker, which updates the row.
 */
@Injectable()
export class ApiKeyUsageRecorder {
  private readonly logger = new Logger(ApiKeyUsageRecorder.name);

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue,
    private readonly clock: Clock,
  ) {}

  /** This process's own memory of recent touches: most calls need no Redis round trip at all. */
  private readonly recent = ttlCache<string, true>({ max: 10_000, ttlMs: TOUCH_INTERVAL_SECONDS * 1000, clock: this.clock });

  async recordUse(tenantId: string, apiKeyId: string): Promise<void> {
    if (this.recent.has(apiKeyId)) return;
    this.recent.set(apiKeyId, true);
    try {
      const first = await this.redis.set(`margin:api-key-touch:${apiKeyId}`, '1', 'EX', TOUCH_INTERVAL_SECONDS, 'NX');
      if (first !== 'OK') return;
      const payload: TouchApiKeyPayload = { tenantId, apiKeyId, usedAt: this.clock.now().toISOString() };
      await this.queue.add(MAINTENANCE_JOBS.touchApiKey, payload, { attempts: 3, removeOnComplete: true });
    } catch (err) {
      // Usage time is informative; a hiccup here must not fail the caller's request.
      this.logger.warn(`Could not record API key use: ${(err as Error).message}`);
    }
  }
}
