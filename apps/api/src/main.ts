import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { AppConfig, ConfigValidationError, installGracefulShutdown, installProcessGuard, loadConfig } from '@margin/core';
import { createApp } from './create-app';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(`margin-api: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const running: { app?: INestApplication } = {};
  // Errors nobody handled: a request stream's are survived, anything else stops the process cleanly (see the guard).
  installProcessGuard({
    logger: new Logger('ProcessGuard'),
    exit: () => {
      const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs);
      force.unref();
      void (running.app ? running.app.close() : Promise.resolve()).finally(() => process.exit(1));
    },
  });
  const app = await createApp(config);
  running.app = app;
  // Idle keep-alive connections stay open longer than the clients' and load balancers' own idle timeouts
  // (60 s is the common default), so the server never closes a socket a client is about to reuse (ECONNRESET).
  const server = app.getHttpServer() as import('node:http').Server;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Before listening, so that a signal during start-up also stops within the deadline.
  installGracefulShutdown(app, { timeoutMs: config.shutdownTimeoutMs });
  // The whole request must arrive within this (Node answers 408); streamed submissions enforce it themselves.
  server.requestTimeout = Math.max(config.requestBodyTimeoutSeconds * 1000, server.headersTimeout + 1000);
  await app.listen(config.port, config.host);
  new Logger('Bootstrap').log({ url: `http://${config.host}:${config.port}` }, 'Margin API listening');
}

main().catch((err: Error) => {
  process.stderr.write(`margin-api failed to start: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
