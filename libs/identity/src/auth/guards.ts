import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { roleAtLeast, type Role } from '@margin/contracts';
import { IS_PUBLIC, MIN_ROLE, OPERATOR_ONLY } from './decorators';
import type { Request } from 'express';
import type { Principal } from './principal';
import { apiKeyFromRequest } from './strategies';

class JwtGuard extends AuthGuard('jwt') {}
class ApiKeyGuard extends AuthGuard('api-key') {}

/**
 * Global: every route needs a JWT or an API key unless marked @Public(). The credential's form picks the
 * passport strategy (an API key is `X-API-Key` or a bearer starting with `mk_`), so each request runs one.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly jwt = new JwtGuard();
  private readonly apiKey = new ApiKeyGuard();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext) {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request>();
    return (apiKeyFromRequest(request) ? this.apiKey : this.jwt).canActivate(context);
  }
}

/** Global, after authentication: enforces @MinRole() and @OperatorOnly(). */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const required = this.reflector.getAllAndOverride<Role | undefined>(MIN_ROLE, targets);
    const operatorOnly = this.reflector.getAllAndOverride<boolean | undefined>(OPERATOR_ONLY, targets);
    if (!required && !operatorOnly) return true;
    const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!principal) throw new ForbiddenException('Authentication required');
    if (required && !roleAtLeast(principal.role, required)) {
      throw new ForbiddenException(`This action needs the ${required} role or higher`);
    }
    if (operatorOnly && !principal.operator) {
      throw new ForbiddenException('Only the operator tenant can change installation-wide settings');
    }
    return true;
  }
}
