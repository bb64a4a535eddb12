import { Injectable, type ExecutionContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Request } from 'express';
import type Redis from 'ioredis';
import { RedisScript, type ScriptCall } from '@margin/core';
import { RateLimitIdentity } from '@margin/identity';

/**
 * Rate limits per client: one bucket per principal (a user, an API key) wherever and however it sends its
 * credential; anonymous callers and unverified credentials by IP (see RateLimitIdentity). Counters live in
 * Redis, so the limit is global across instances.
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly identity: RateLimitIdentity,
  ) {
    super(options, storage, reflector);
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return this.identity.trackerOf(req as unknown as Request);
  }

  /** One bucket per client for the whole API (the library's default keeps one per route: N routes, N × the limit). */
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return createHash('sha256').update(`${name}\n${tracker}`).digest('hex').slice(0, 40);
  }
}

type ThrottlerRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The Redis throttler storage of @nest-lab/throttler-storage-redis (its Lua script and key layout), run as a
 * script command (EVALSHA): the library sends the whole script with EVAL on every request, which Redis hashes
 * and parses each time — on every API call. The script travels once per connection instead.
 */
export class RedisThrottlerStorage extends ThrottlerStorageRedisService {
  private readonly script: ScriptCall;

  constructor(client: Redis) {
    super(client);
    this.script = new RedisScript(this.scriptSrc, { keys: 2 }).defineOn(client);
  }

  override async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerRecord> {
    const keys = [`{${key}:${throttlerName}}:hits`, `{${key}:${throttlerName}}:blocked`];
    const reply = await this.script(keys, [throttlerName, ttl, limit, blockDuration]);
    if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((v) => typeof v === 'number')) {
      throw new TypeError(`unexpected throttler script reply: ${JSON.stringify(reply)}`);
    }
    const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = reply as [number, number, number, number];
    return { totalHits, timeToExpire: Math.ceil(timeToExpire / 1000), isBlocked: isBlocked === 1, timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000) };
  }
}
