import { Inject, Injectable } from '@nestjs/common';
import { REDIS, sleep } from '@margin/core';
import type Redis from 'ioredis';

/** The queued full analysis behind a provisional instant answer. */
export interface Enhancement {
  jobId: string;
  itemId: string;
}

/** What the worker needs to tell the caller(s) once the full analysis is done. */
export interface PendingEnhancement extends Enhancement {
  tenantId: string;
  profile: string;
  callbacks: string[];
}

/** Longer than any job's default patience (24 h): an enhancement is told even after a long outage. */
const TTL_SECONDS = 48 * 3600;
/** How long the caller that queues an enhancement may take to do it before another caller may. */
const CLAIM_SECONDS = 30;
const PENDING = 'margin:instant:pending';
const inputKey = (tenantId: string, digest: string) => `margin:instant:input:${tenantId}:${digest}`;
const itemKey = (itemId: string) => `margin:instant:item:${itemId}`;
const callbacksKey = (itemId: string) => `margin:instant:cb:${itemId}`;

/**
 * Enhancements in flight, in Redis: one queued full analysis per tenant and input however many instant calls ask
 * for it meanwhile, the callback URLs they gave, and an index by age so that a sweep finds an enhancement whose
 * completion a crashed worker did not report.
 */
@Injectable()
export class EnhancementRegistry {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /**
   * The enhancement already queued for this tenant and input, or null when the caller has the claim and must
   * queue one (then `register`, or `release` when it could not). Waits briefly for a concurrent claimer.
   */
  async claim(tenantId: string, digest: string): Promise<Enhancement | null> {
    const key = inputKey(tenantId, digest);
    for (let i = 0; i < 100; i++) {
      if ((await this.redis.set(key, 'pending', 'EX', CLAIM_SECONDS, 'NX')) === 'OK') return null;
      const held = await this.redis.get(key);
      if (held && held !== 'pending') {
        const [jobId, itemId] = held.split(':');
        if (jobId && itemId) return { jobId, itemId };
      }
      await sleep(20);
    }
    throw new Error('instant analysis: another request is still queueing this input');
  }

  async release(tenantId: string, digest: string): Promise<void> {
    await this.redis.del(inputKey(tenantId, digest));
  }

  async register(tenantId: string, digest: string, profile: string, e: Enhancement): Promise<void> {
    await this.redis
      .multi()
      .set(inputKey(tenantId, digest), `${e.jobId}:${e.itemId}`, 'EX', TTL_SECONDS)
      .hset(itemKey(e.itemId), { tenantId, jobId: e.jobId, profile, input: inputKey(tenantId, digest) })
      .expire(itemKey(e.itemId), TTL_SECONDS)
      .zadd(PENDING, Date.now(), e.itemId)
      .exec();
  }

  async addCallback(itemId: string, url: string): Promise<void> {
    await this.redis.multi().sadd(callbacksKey(itemId), url).expire(callbacksKey(itemId), TTL_SECONDS).exec();
  }

  /** The enhancement of this item, when one is pending (null: not an instant analysis's item, or told already). */
  async pending(itemId: string): Promise<PendingEnhancement | null> {
    const [meta, callbacks] = await Promise.all([this.redis.hgetall(itemKey(itemId)), this.redis.smembers(callbacksKey(itemId))]);
    if (!meta['tenantId'] || !meta['jobId'] || !meta['profile']) return null;
    return { tenantId: meta['tenantId'], jobId: meta['jobId'], itemId, profile: meta['profile'], callbacks };
  }

  /** A callback delivered (or given up on): not sent again when the notification is retried. */
  async dropCallback(itemId: string, url: string): Promise<void> {
    await this.redis.srem(callbacksKey(itemId), url);
  }

  /** Told: forgets the enhancement; the next instant call for the input finds the full result in the cache. */
  async done(itemId: string): Promise<void> {
    const input = await this.redis.hget(itemKey(itemId), 'input');
    const m = this.redis.multi().del(itemKey(itemId), callbacksKey(itemId)).zrem(PENDING, itemId);
    if (input) m.del(input);
    await m.exec();
  }

  /** Items registered more than `olderThanMs` ago and still pending (oldest first); entries past the TTL are dropped. */
  async overdue(olderThanMs: number, limit: number): Promise<string[]> {
    await this.redis.zremrangebyscore(PENDING, '-inf', Date.now() - TTL_SECONDS * 1000);
    return this.redis.zrangebyscore(PENDING, '-inf', Date.now() - olderThanMs, 'LIMIT', 0, limit);
  }
}
