import { Logger } from '@nestjs/common';

/** What shutting down needs from a Nest application (or application context). */
export interface Closable {
  close(): Promise<void>;
}

/** The parts of `process` the shutdown uses, so that tests can drive it without signalling themselves. */
export interface ShutdownProcess {
  once(event: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): void;
}

export interface GracefulShutdownOptions {
  /** After the first signal, how long `close()` may take before the process exits anyway. */
  timeoutMs: number;
  signals?: NodeJS.Signals[];
  process?: ShutdownProcess;
  /** Test seam for the deadline timer. */
  setTimer?: (fn: () => void, ms: number) => unknown;
}

/**
 * Stops the application on SIGINT/SIGTERM with a deadline: `close()` runs Nest's shutdown hooks (the HTTP
 * server stops accepting, Bull waits for the jobs in hand, heartbeats are removed), and if that has not
 * finished within `timeoutMs` the process exits with code 1 anyway. A process that ignores its supervisor's
 * SIGTERM keeps its database connections and its port; the deadline makes "stop" mean stop. A second
 * signal forces the exit at once.
 */
export function installGracefulShutdown(app: Closable, options: GracefulShutdownOptions): void {
  const logger = new Logger('Shutdown');
  const proc: ShutdownProcess = options.process ?? process;
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'Second signal while stopping: exiting now');
      proc.exit(1);
      return;
    }
    closing = true;
    logger.log({ signal, deadlineMs: options.timeoutMs }, 'Stopping gracefully');
    // Deliberately not unref'd: if close() hangs on a promise that holds no handle, the process must still end with an error code.
    setTimer(() => {
      logger.error({ deadlineMs: options.timeoutMs }, `Did not stop within ${options.timeoutMs} ms: forcing exit`);
      proc.exit(1);
    }, options.timeoutMs);
    app.close().then(
      () => proc.exit(0),
      (err: Error) => {
        logger.error({ err }, `Shutdown failed: ${err.message}`);
        proc.exit(1);
      },
    );
  };
  for (const signal of options.signals ?? (['SIGINT', 'SIGTERM'] as NodeJS.Signals[])) {
    // Re-armed after the first, so that a second signal reaches the "exit now" branch.
    const arm = () =>
      proc.once(signal, () => {
        arm();
        onSignal(signal);
      });
    arm();
  }
}
