import { Controller, Get, HttpException, Req, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import { roleAtLeast } from '@margin/contracts';
import { apiKeyFromRequest, AuthService, Public, type Principal } from '@margin/identity';
import type { Request } from 'express';
import { ExtractJwt } from 'passport-jwt';
import { publicHealth } from './health-view';
import { ProvidersHealthIndicator, RedisHealthIndicator, WorkersHealthIndicator } from './indicators';

const bearer = ExtractJwt.fromAuthHeaderAsBearerToken();

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly workers: WorkersHealthIndicator,
    private readonly providers: ProvidersHealthIndicator,
    private readonly auth: AuthService,
  ) {}

  @Get()
  @Public()
  @SkipThrottle()
  @HealthCheck()
  @ApiOperation({
    summary:
      'Postgres, Redis, live workers and each provider; 503 when Postgres or Redis is down. Without the operator’s admin credentials only each part’s state and counts (no hosts, pids, URLs or errors)',
  })
  async check(@Req() req: Request): Promise<HealthCheckResult> {
    const full = await this.operatorAsks(req);
    try {
      const result = await this.health.check([
        () => this.db.pingCheck('database', { timeout: 2000 }),
        () => this.redis.check('redis'),
        () => this.workers.check('workers'),
        () => this.providers.check('providers'),
      ]);
      return full ? result : publicHealth(result);
    } catch (err) {
      // terminus answers 503 with the whole result as the body: the same redaction applies
      if (!full && err instanceof HttpException && err.getStatus() === 503)
        throw new ServiceUnavailableException(publicHealth(err.getResponse() as HealthCheckResult));
      throw err;
    }
  }

  /** Whether the caller is an admin of the operator's tenant (credentials are optional here). */
  private async operatorAsks(req: Request): Promise<boolean> {
    let principal: Principal | null = null;
    try {
      const key = apiKeyFromRequest(req);
      const token = key ? null : bearer(req);
      principal = key ? await this.auth.principalFromApiKey(key) : token ? await this.auth.principalFromAccessToken(token) : null;
    } catch {
      principal = null; // the database being down must not turn /health into an error
    }
    return Boolean(principal?.operator && roleAtLeast(principal.role, 'admin'));
  }
}
