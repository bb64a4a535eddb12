import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MarginMetrics } from './margin-metrics';

/**
 * Times every HTTP request, labelled by the matched route's template (`/api/v1/jobs/:id`, never the id), so the
 * label set is the route table. A middleware rather than an interceptor: requests refused before a handler
 * runs (401 from the guard, 400 from body parsing, 429) are timed too. Unmatched paths share one label.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MarginMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const template = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof template === 'string' ? this.metrics.routes.of(`${req.baseUrl ?? ''}${template}`) : res.statusCode === 404 ? 'unmatched' : 'other';
      this.metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
    });
    next();
  }
}
