import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@margin/core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MarginMetrics } from './margin-metrics';
import { tokenMatches } from './metrics.controller';

/**
 * The worker has no HTTP server of its own: this tiny one serves its registry at /metrics on METRICS_PORT
 * (bound to METRICS_HOST, 127.0.0.1 unless configured), with the same bearer token rule as the API's.
 * Without METRICS_PORT the worker serves nothing (several workers on one host each need a port of their own).
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: MarginMetrics,
    private readonly config: AppConfig,
  ) {}

  /** The bound address once listening (port 0 picks a free one). */
  get address(): AddressInfo | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host, token } = this.config.metrics;
    if (port === undefined) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (token && !tokenMatches(match?.[1], token)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('unauthorized\n');
        return;
      }
      this.metrics.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType, 'cache-control': 'no-store' }).end(body),
        (err: Error) => {
          this.logger.warn(`Metrics scrape failed: ${err.message}`);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.logger.log({ url: `http://${host}:${this.address?.port}/metrics` }, 'Worker metrics listening');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
