import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from '@margin/contracts';
import type { Principal } from './principal';

export const IS_PUBLIC = 'margin:isPublic';
export const MIN_ROLE = 'margin:minRole';
export const OPERATOR_ONLY = 'margin:operatorOnly';

/** Opens a route to unauthenticated callers. Everything else requires a JWT or an API key. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The lowest role allowed (viewer < member < admin < owner). */
export const MinRole = (role: Role) => SetMetadata(MIN_ROLE, role);

/** Installation-wide settings (providers, model catalog): only the operator tenant may change them. */
export const OperatorOnly = () => SetMetadata(OPERATOR_ONLY, true);

export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<{ user?: Principal }>();
  if (!request.user) throw new Error('CurrentPrincipal used on a route without authentication');
  return request.user;
});
