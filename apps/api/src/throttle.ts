import { Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { RedisScript } from '@margin/model-router';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type Redis from 'ioredis';
import { apiKeyFromRequest } from '@margin/identity';

/**
 * Rate limits per client: an API key or a bearer token counts as one client wherever it calls from;
 * anonymous callers are counted by IP. Counters live in Redis, so the limit is global across instances.
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as Request;
    const credential = apiKeyFromRequest(request) ?? request.headers.authorization;
    if (credential) return `cred:${createHash('sha256').update(credential).digest('hex').slice(0, 32)}`;
    return `ip:${request.ip ?? 'unknown'}`;
  }
}

type ThrottlerRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The Redis throttler storage of @nest-lab/throttler-storage-redis (its Lua script and key layout), run with
 * EVALSHA: the library sends the whole script with EVAL on every request, which Redis hashes and parses each
 * time — on every API call. The script travels once per server instead.
 */
export class RedisThrottlerStorage extends ThrottlerStorageRedisService {
  private readonly script: RedisScript;

  constructor(private readonly client: Redis) {
    super(client);
    this.script = new RedisScript(this.scriptSrc);
  }

  override async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerRecord> {
    const keys = [`{${key}:${throttlerName}}:hits`, `{${key}:${throttlerName}}:blocked`];
    const reply = await this.script.run(this.client, keys, [throttlerName, ttl, limit, blockDuration]);
    if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((v) => typeof v === 'number')) {
      throw new TypeError(`unexpected throttler script reply: ${JSON.stringify(reply)}`);
    }
    const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = reply as [number, number, number, number];
    return { totalHits, timeToExpire: Math.ceil(timeToExpire / 1000), isBlocked: isBlocked === 1, timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000) };
  }
}
