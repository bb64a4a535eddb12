// Failures that mean "the database cannot serve this request right now" rather than "this request is wrong":
// they answer 503 with Retry-After, so clients back off and retry instead of seeing an internal error.

/** pg-pool's error when no connection frees up within `connectionTimeoutMillis` (it has no class or code of its own). */
const POOL_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';
/** SQLSTATE classes and codes: 57014 query_canceled (statement_timeout), 57P01–57P03 shutdown/cannot connect now, 53300 too many connections, 08xxx connection exceptions, 25P03 idle-in-transaction timeout. */
const UNAVAILABLE_CODES = new Set(['57014', '57P01', '57P02', '57P03', '53300', '25P03']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

export interface DatabaseUnavailable {
  reason: 'pool-timeout' | 'statement-timeout' | 'unavailable';
  retryAfterSeconds: number;
}

/** Whether `err` (from pg, pg-pool or TypeORM wrapping them) says the database is busy or unreachable. */
export function databaseUnavailable(err: unknown): DatabaseUnavailable | null {
  for (
    let e: unknown = err, depth = 0;
    e && typeof e === 'object' && depth < 4;
    e = (e as { driverError?: unknown; cause?: unknown }).driverError ?? (e as { cause?: unknown }).cause, depth++
  ) {
    const { message, code } = e as { message?: unknown; code?: unknown };
    if (message === POOL_TIMEOUT_MESSAGE || (typeof message === 'string' && message.startsWith('Connection terminated due to connection timeout'))) {
      return { reason: 'pool-timeout', retryAfterSeconds: 1 };
    }
    if (code === '57014') return { reason: 'statement-timeout', retryAfterSeconds: 5 };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))) {
      return { reason: 'unavailable', retryAfterSeconds: 5 };
    }
    if (typeof message === 'string' && /^Connection terminated( unexpectedly)?$/.test(message)) return { reason: 'unavailable', retryAfterSeconds: 5 };
  }
  return null;
}

/** Postgres' unique_violation: a row with this key exists. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = ((err as { driverError?: unknown })?.driverError ?? err) as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
