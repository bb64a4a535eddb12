import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { AppConfig, looksLikeApiKey } from '@margin/core';
import type { Request } from 'express';
import { Strategy as CustomStrategy } from 'passport-custom';
import { ExtractJwt, Strategy as JwtStrategyBase } from 'passport-jwt';
import { ApiKeyUsageRecorder } from '../api-keys/api-key-usage';
import { AuthService, type JwtPayload } from './auth.service';
import type { Principal } from './principal';

const bearer = ExtractJwt.fromAuthHeaderAsBearerToken();

@Injectable()
export class JwtStrategy extends PassportStrategy(JwtStrategyBase, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly auth: AuthService,
  ) {
    super({
      // A bearer token that is an API key belongs to the api-key strategy.
      jwtFromRequest: (req: Request) => {
        const token = bearer(req);
        return token && !looksLikeApiKey(token) ? token : null;
      },
      secretOrKey: config.jwtSecret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  validate(payload: JwtPayload): Promise<Principal | null> {
    return this.auth.principalFromJwt(payload);
  }
}

/** `X-API-Key: mk_...`, or `Authorization: Bearer mk_...` for clients that only speak bearer (the openai SDK). */
export function apiKeyFromRequest(req: Request): string | null {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header.trim();
  const token = bearer(req);
  return token && looksLikeApiKey(token) ? token : null;
}

@Injectable()
export class ApiKeyStrategy extends PassportStrategy(CustomStrategy, 'api-key') {
  constructor(
    private readonly auth: AuthService,
    private readonly usage: ApiKeyUsageRecorder,
  ) {
    super();
  }

  async validate(req: Request): Promise<Principal | null> {
    const key = apiKeyFromRequest(req);
    if (!key) return null;
    const principal = await this.auth.principalFromApiKey(key);
    if (principal?.apiKeyId) await this.usage.recordUse(principal.tenantId, principal.apiKeyId);
    return principal;
  }
}
