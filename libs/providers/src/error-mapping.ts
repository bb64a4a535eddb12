// One place that turns whatever an SDK (openai, @anthropic-ai/sdk, ollama) or fetch threw into the typed
// ProviderError the router decides on. Everything here is duck-typed on purpose: inside Jest, errors
// thrown by Node's fetch come from another realm (`instanceof Error` / DOMException fail, SDKs re-wrap
// them without their names), so timeouts and aborts are classified by who fired the abort — the caller's
// signal or our deadline — never by the error's class.
import {
  ContextTooLongError,
  ProviderAbortedError,
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderError,
  ProviderRateLimitedError,
  ProviderServerError,
  ProviderTimeoutError,
  ProviderUnavailableError,
  StreamInterruptedError,
} from './provider-errors';
import { parseRateLimitHeaders, retryDelayMs, type HeaderSource } from './rate-limit-headers';

/** Who aborted the call, when it was aborted on purpose. */
export type AbortCause = 'timeout' | 'caller';

export interface ErrorContext {
  providerId: string;
  /** Set when our deadline or the caller's signal aborted the call: decides over the error itself. */
  abortedBy?: AbortCause;
  /** The deadline, for the message. */
  timeoutMs?: number;
  /** Headers of the response already received, for SDK errors that do not carry them (ollama). */
  headers?: HeaderSource;
  /** The response's status line and headers had arrived: a later transport failure means a cut answer. */
  responseStarted?: boolean;
}

/** Network error codes that mean "the host could not be reached at all". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);
/** Network error codes for a host that accepted the request but went silent. */
const SLOW_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const CONTEXT_LENGTH_PATTERN =
  /context[_ ]length|context window|maximum context|prompt is too long|too many tokens|exceeds? (the )?(model'?s? )?context|input length exceeds|input is too long|reduce the length of the (messages|prompt)/i;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The HTTP status an SDK error carries (openai/anthropic `status`, ollama `status_code`). */
export function statusOf(err: unknown): number | undefined {
  if (!isObject(err)) return undefined;
  const s = err['status'] ?? err['status_code'] ?? err['statusCode'];
  return typeof s === 'number' && s >= 100 && s < 600 ? s : undefined;
}

function headersOf(err: unknown): HeaderSource | undefined {
  if (!isObject(err)) return undefined;
  const h = err['headers'];
  return isObject(h) ? (h as HeaderSource) : undefined;
}

/**
 * The provider's own error message, without the SDK's "400 " prefix: openai `error.message`, anthropic
 * `error.error.message`, ollama `error`, else the error's message.
 */
export function messageOf(err: unknown): string {
  if (!isObject(err)) return String(err);
  const body = err['error'];
  if (isObject(body)) {
    const inner = body['error'];
    const m = (isObject(inner) ? str(inner['message']) : undefined) ?? str(body['message']);
    if (m) return m;
  }
  return str(body) ?? str(err['message']) ?? String(err);
}

/** A machine-readable error code: openai `code`, else the body's `code` / `type`. */
export function codeOf(err: unknown): string | undefined {
  if (!isObject(err)) return undefined;
  const direct = str(err['code']);
  if (direct && !/^E[A-Z]+$|^UND_ERR/.test(direct)) return direct;
  const body = err['error'];
  if (!isObject(body)) return undefined;
  const inner = body['error'];
  return str(body['code']) ?? (isObject(inner) ? str(inner['type']) : undefined) ?? str(body['type']);
}

/** The first network error code (ECONNREFUSED, UND_ERR_SOCKET…) in the error's cause chain. */
export function networkCodeOf(err: unknown, depth = 0): string | undefined {
  if (!isObject(err) || depth > 6) return undefined;
  const code = err['code'];
  if (typeof code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+|CERT_[A-Z_]+|[A-Z_]+_CERT|UNABLE_TO_[A-Z_]+)$/.test(code)) return code;
  const nested = Array.isArray(err['errors']) ? (err['errors'] as unknown[]) : [];
  for (const e of [err['cause'], ...nested]) {
    const found = networkCodeOf(e, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function nameOf(err: unknown): string | undefined {
  return isObject(err) ? str(err['name']) : undefined;
}

export function isContextLengthError(message: string, code?: string): boolean {
  return code === 'context_length_exceeded' || code === 'string_above_max_length' || CONTEXT_LENGTH_PATTERN.test(message);
}

export interface StatusErrorDetail {
  headers?: HeaderSource;
  code?: string;
  cause?: unknown;
}

/** The typed error for an HTTP error status. */
export function errorFromStatus(providerId: string, status: number, message: string, detail: StatusErrorDetail = {}): ProviderError {
  const { headers, code, cause } = detail;
  const options = { cause };
  const text = `${status} ${message}`;
  if (status === 429) {
    // OpenAI's "insufficient_quota" is a billing stop, not a wait
    if (code === 'insufficient_quota') return new ProviderAuthError(providerId, text, status, options);
    const retryAfterMs = headers ? retryDelayMs(parseRateLimitHeaders(headers)) : undefined;
    return new ProviderRateLimitedError(providerId, text, retryAfterMs, status, options);
  }
  if (status === 401 || status === 402 || status === 403) return new ProviderAuthError(providerId, text, status, options);
  if (status === 408) return new ProviderTimeoutError(providerId, text, status, options);
  if (status >= 400 && status < 500) {
    if (isContextLengthError(message, code)) return new ContextTooLongError(providerId, text, status, options);
    return new ProviderBadRequestError(providerId, text, status, options);
  }
  // Ollama reports some context overflows as 500
  if (status === 500 && isContextLengthError(message, code)) return new ContextTooLongError(providerId, text, status, options);
  return new ProviderServerError(providerId, text, status, options);
}

/** Maps anything thrown during a provider call to its ProviderError. */
export function mapProviderError(err: unknown, ctx: ErrorContext): ProviderError {
  const { providerId } = ctx;
  if (err instanceof ProviderError) return err;
  const options = { cause: err };
  if (ctx.abortedBy === 'timeout') {
    return new ProviderTimeoutError(providerId, `no complete answer within ${ctx.timeoutMs ?? '?'} ms`, undefined, options);
  }
  if (ctx.abortedBy === 'caller') return new ProviderAbortedError(providerId, 'the call was aborted by the caller', undefined, options);

  const status = statusOf(err);
  if (status !== undefined) {
    return errorFromStatus(providerId, status, messageOf(err), { headers: headersOf(err) ?? ctx.headers, code: codeOf(err), cause: err });
  }

  const message = messageOf(err);
  const netCode = networkCodeOf(err);
  const name = nameOf(err);
  if (name === 'APIConnectionTimeoutError' || name === 'TimeoutError' || (netCode !== undefined && SLOW_CODES.has(netCode))) {
    return new ProviderTimeoutError(providerId, `the host did not answer in time: ${message}`, undefined, options);
  }
  if (ctx.responseStarted) {
    return new StreamInterruptedError(providerId, `the answer was cut before its end: ${describe(message, netCode)}`, undefined, options);
  }
  if ((netCode !== undefined && UNREACHABLE_CODES.has(netCode)) || name === 'APIConnectionError' || /fetch failed|connection error/i.test(message)) {
    return new ProviderUnavailableError(providerId, `cannot reach the host: ${describe(message, netCode)}`, undefined, options);
  }
  return new ProviderServerError(providerId, `unexpected failure: ${message}`, undefined, options);
}

function describe(message: string, code: string | undefined): string {
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
