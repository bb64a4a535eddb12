import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
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
