import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigValidationError, installGracefulShutdown, loadConfig, type AppConfig } from '@margin/core';
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
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
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
