import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigValidationError, installGracefulShutdown, installProcessGuard, loadConfig, type AppConfig } from '@margin/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

/** No HTTP: a Nest application context running Bull processors until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(`margin-worker: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const running: { close?: () => Promise<void> } = {};
  // As in the API: a stray rejection or a broken socket of one outbound call is logged and survived; any other
  // uncaught exception stops the worker cleanly (its items in hand go back to the queue) and the supervisor
  // starts a new one.
  installProcessGuard({
    logger: new NestLogger('ProcessGuard'),
    exit: () => {
      const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs);
      force.unref();
      void (running.close ? running.close() : Promise.resolve()).finally(() => process.exit(1));
    },
  });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  running.close = () => app.close();
  app.useLogger(app.get(Logger));
  // Closing the context closes Bull's queues, which wait for the jobs in hand to finish, up to the deadline:
  // an item cut off then is picked up again by another worker (its calls are not booked twice).
  installGracefulShutdown(app, { timeoutMs: config.shutdownTimeoutMs });
  new NestLogger('Bootstrap').log({ concurrency: config.workerConcurrency }, 'Margin worker started');
}

main().catch((err: Error) => {
  process.stderr.write(`margin-worker failed to start: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
