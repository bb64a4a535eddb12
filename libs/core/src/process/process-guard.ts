// The last line of defence of a server process: errors nobody handled. Each cause found is fixed where it
// happens; this guard decides what an unforeseen one costs.
import { randomUUID } from 'node:crypto';

/** Error codes of one connection's or one request body's stream: zlib, brotli, the socket, the HTTP parser. */
const STREAM_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ECANCELED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_PUSH_AFTER_EOF',
  'ERR_STREAM_UNABLE_TO_PIPE',
  'ERR_HTTP_REQUEST_TIMEOUT',
]);

/**
 * Whether an error came from a single request's or connection's stream (a corrupt gzip body, a client that
 * hung up, a broken pipe). Such an error is raised by Node's stream machinery at the top of an event-loop turn,
 * outside any of the app's own code, so no shared state (pools, caches, counters) was left half-updated: only
 * that one request is lost, and the process can go on serving the others.
 */
export function isStreamError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return STREAM_CODES.has(code) || code.startsWith('Z_') || code.startsWith('ERR__ERROR_') || code.startsWith('ERR_BROTLI') || code.startsWith('HPE_');
}

export interface GuardLogger {
  error(obj: Record<string, unknown>, message: string): void;
  fatal?(obj: Record<string, unknown>, message: string): void;
}

export interface ProcessLike {
  on(event: 'uncaughtException', listener: (err: unknown) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  off(event: 'uncaughtException', listener: (err: unknown) => void): unknown;
  off(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

export interface ProcessGuardOptions {
  logger: GuardLogger;
  /** Called for an error the process must not survive; should stop gracefully (with a deadline), then exit non-zero. */
  exit: (err: unknown, errorId: string) => void;
  process?: ProcessLike;
}

/**
 * - `uncaughtException` from a request's stream (see isStreamError): logged with an errorId, the process lives on.
 * - any other `uncaughtException`: logged with an errorId, then `exit` (Node's own advice: after an exception
 *   unwound the app's code at an unknown point, its state cannot be trusted; the supervisor restarts it).
 * - `unhandledRejection`: logged with an errorId, the process lives on. A rejected promise nobody awaited did
 *   not interrupt any synchronous code half-way (the work that awaited it has already stopped, and the
 *   transactions and pool leases around it are released by their own finally blocks), so one forgotten catch
 *   must not take every other request down with it, as Node's default (exit) would.
 * Returns a function that removes the guard.
 */
export function installProcessGuard(options: ProcessGuardOptions): () => void {
  const proc = options.process ?? process;
  const onException = (err: unknown) => {
    const errorId = randomUUID();
    if (isStreamError(err)) {
      options.logger.error({ errorId, err }, `Unhandled stream error ${errorId} (one request lost; the process carries on)`);
      return;
    }
    (options.logger.fatal ?? options.logger.error).call(options.logger, { errorId, err }, `Uncaught exception ${errorId}: stopping`);
    options.exit(err, errorId);
  };
  const onRejection = (reason: unknown) => {
    const errorId = randomUUID();
    options.logger.error({ errorId, err: reason }, `Unhandled promise rejection ${errorId} (the process carries on)`);
  };
  proc.on('uncaughtException', onException);
  proc.on('unhandledRejection', onRejection);
  return () => {
    proc.off('uncaughtException', onException);
    proc.off('unhandledRejection', onRejection);
  };
}
