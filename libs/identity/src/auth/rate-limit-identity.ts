import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { hashApiKey } from '@margin/core';
import type { Request } from 'express';
import { ExtractJwt } from 'passport-jwt';
import { VerifiedKeyCache } from '../api-keys/verified-key-cache';
import { apiKeyFromRequest } from './strategies';
import type { JwtPayload } from './auth.service';

const bearer = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * Who a request's rate limit is charged to, decided before authentication (the limiter runs first, so that
 * floods never reach the database): one bucket per principal whatever the credential's spelling — a user for
 * any of their session tokens, an API key once it has been verified — and the client's address for everything
 * else, junk or unverified credentials included, so that inventing credentials never buys a fresh bucket.
 */
@Injectable()
export class RateLimitIdentity {
  constructor(
    private readonly jwt: JwtService,
    private readonly verifiedKeys: VerifiedKeyCache,
  ) {}

  trackerOf(req: Request): string {
    const key = apiKeyFromRequest(req);
    if (key) {
      const principal = this.verifiedKeys.get(hashApiKey(key));
      if (principal?.apiKeyId) return `key:${principal.apiKeyId}`;
      return this.byAddress(req);
    }
    const token = bearer(req);
    if (token) {
      try {
        const payload = this.jwt.verify<JwtPayload>(token, { algorithms: ['HS256'] });
        if (typeof payload.sub === 'string') return `user:${payload.sub}`;
      } catch {
        // not a token of ours: the address pays
      }
    }
    return this.byAddress(req);
  }

  private byAddress(req: Request): string {
    return `ip:${req.ip ?? req.socket?.remoteAddress ?? 'unknown'}`;
  }
}
