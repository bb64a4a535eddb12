import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, REDIS, TooManyRequestsError } from '@margin/core';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';

const WINDOW_SECONDS = 15 * 60;

/**
 * Slows password guessing: after LOGIN_MAX_FAILURES failed logins for one email within 15 minutes, further
 * attempts are refused with 429 until the window passes. Held in Redis, so it holds across API instances.
 */
@Injectable()
export class LoginAttemptLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  private key(email: string): string {
    return `margin:login-failures:${createHash('sha256').update(email.toLowerCase()).digest('hex')}`;
  }

  async assertAllowed(email: string): Promise<void> {
    const key = this.key(email);
    const [failures, ttl] = await Promise.all([this.redis.get(key), this.redis.ttl(key)]);
    if (Number(failures ?? 0) >= this.config.loginMaxFailures) {
      throw new TooManyRequestsError('Too many failed logins for this account; try again later', Math.max(ttl, 1));
    }
  }

  async recordFailure(email: string): Promise<void> {
    const key = this.key(email);
    await this.redis.multi().incr(key).expire(key, WINDOW_SECONDS, 'NX').exec();
  }

  async reset(email: string): Promise<void> {
    await this.redis.del(this.key(email));
  }
}
