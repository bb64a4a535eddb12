import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, REDIS, TooManyRequestsError } from '@margin/core';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';

/** Failures are counted over this window. */
const WINDOW_SECONDS = 15 * 60;
/** The first lock lasts this long; each further one for the same account and client twice as long, up to the window. */
const FIRST_LOCK_SECONDS = 30;
/** How long a client's record of earlier locks (its backoff) is kept. */
const STRIKES_TTL_SECONDS = 24 * 60 * 60;

/**
 * Slows password guessing without letting anyone lock a victim out: failures are counted per account AND
 * client (IP address), so guesses from one address never lock the account for anyone else. After
 * LOGIN_MAX_FAILURES failures within 15 minutes that client is refused (429) for 30 s, then 60 s, 120 s… up to
 * 15 minutes for each further lock within a day. Held in Redis, so it holds across API instances.
 */
@Injectable()
export class LoginAttemptLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  private keys(email: string, client: string) {
    const id = createHash('sha256').update(`${email.trim().toLowerCase()}\n${client}`).digest('hex');
    return { failures: `margin:login:failures:${id}`, lock: `margin:login:lock:${id}`, strikes: `margin:login:strikes:${id}` };
  }

  async assertAllowed(email: string, client: string): Promise<void> {
    const ttlMs = await this.redis.pttl(this.keys(email, client).lock);
    if (ttlMs > 0) throw new TooManyRequestsError('Too many failed logins from this address for this account; try again later', Math.ceil(ttlMs / 1000));
  }

  async recordFailure(email: string, client: string): Promise<void> {
    const k = this.keys(email, client);
    const [[, failures] = []] = (await this.redis.multi().incr(k.failures).expire(k.failures, WINDOW_SECONDS, 'NX').exec()) ?? [];
    if (Number(failures) < this.config.loginMaxFailures) return;
    const [[, strikes] = []] = (await this.redis.multi().incr(k.strikes).expire(k.strikes, STRIKES_TTL_SECONDS).exec()) ?? [];
    const seconds = Math.min(WINDOW_SECONDS, FIRST_LOCK_SECONDS * 2 ** Math.min(10, Math.max(0, Number(strikes) - 1)));
    await this.redis.multi().set(k.lock, '1', 'EX', seconds).del(k.failures).exec();
  }

  async reset(email: string, client: string): Promise<void> {
    const k = this.keys(email, client);
    await this.redis.del(k.failures, k.lock, k.strikes);
  }
}
