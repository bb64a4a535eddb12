import { Controller, Get, Header, Req, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { AppConfig } from '@margin/core';
import { Public } from '@margin/identity';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { MarginMetrics } from './margin-metrics';
import { ScrapeCollectors } from './scrape-collectors';

/** Constant-time comparison of a presented bearer token with the configured one (hashed: equal lengths). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function bearerOf(req: Request): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MarginMetrics,
    private readonly collectors: ScrapeCollectors,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  @SkipThrottle()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Prometheus exposition (text format 0.0.4). Requires `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set' })
  @ApiOkResponse({ description: 'text/plain; version=0.0.4' })
  async scrape(@Req() req: Request): Promise<string> {
    const token = this.config.metrics.token;
    if (token && !tokenMatches(bearerOf(req), token)) throw new UnauthorizedException('A valid metrics bearer token is required');
    await this.collectors.refresh();
    req.res?.type(this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
