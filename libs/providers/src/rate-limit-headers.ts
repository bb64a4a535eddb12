// Reads the rate-limit headers every host family sends into one `RateLimitInfo`:
//   retry-after (seconds or HTTP date), retry-after-ms                          (all of them)
//   x-ratelimit-{limit,remaining,reset}-{requests,tokens}, reset like "6m0s"   (OpenAI, OpenAI-compatible hosts)
//   anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}, reset = RFC 3339 time   (Anthropic)
import type { RateLimitInfo } from './llm-provider';

/** A fetch `Headers` (from any realm) or a plain header map. */
export type HeaderSource = Pick<Headers, 'get'> | Record<string, string | readonly string[] | undefined>;

function hasGet(headers: HeaderSource): headers is Pick<Headers, 'get'> {
  return typeof (headers as { get?: unknown }).get === 'function';
}

/** Case-insensitive header lookup for both `Headers` and plain records. */
export function headerValue(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  if (hasGet(headers)) return headers.get(wanted)?.trim() || undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    const v = typeof value === 'string' ? value : value[0];
    return v?.trim() || undefined;
  }
  return undefined;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/**
 * A Go-style duration as OpenAI sends it ("20ms", "1s", "6m0s", "1m30.5s", "1h2m3s") in milliseconds.
 * A bare number is read as seconds. Undefined when the text is neither.
 */
export function parseDurationMs(text: string): number | undefined {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (!/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(value)) return undefined;
  let total = 0;
  for (const match of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) {
    const [, amount, unit] = match;
    total += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 0);
  }
  return Math.round(total);
}

/** Milliseconds from `now` until an absolute time (RFC 3339 or HTTP date); 0 when it is already past. */
function msUntil(text: string, now: number): number | undefined {
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** `retry-after`: delay in seconds, or an HTTP date. */
export function parseRetryAfterMs(text: string, now = Date.now()): number | undefined {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  return msUntil(value, now);
}

/** A reset value in any of the formats hosts use: a duration ("6m0s", "20"), or an absolute time. */
function parseResetMs(text: string, now: number): number | undefined {
  return parseDurationMs(text) ?? msUntil(text, now);
}

function parseCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Rate-limit information carried by a response's headers; fields the host did not send stay undefined. */
export function parseRateLimitHeaders(headers: HeaderSource, now = Date.now()): RateLimitInfo {
  const get = (name: string): string | undefined => headerValue(headers, name);
  const first = (...names: string[]): string | undefined => names.map(get).find((v) => v !== undefined);
  const reset = (...names: string[]): number | undefined => {
    const v = first(...names);
    return v === undefined ? undefined : parseResetMs(v, now);
  };

  const info: RateLimitInfo = {
    limitRequests: parseCount(first('x-ratelimit-limit-requests', 'anthropic-ratelimit-requests-limit')),
    remainingRequests: parseCount(first('x-ratelimit-remaining-requests', 'anthropic-ratelimit-requests-remaining')),
    resetRequestsMs: reset('x-ratelimit-reset-requests', 'anthropic-ratelimit-requests-reset'),
    limitTokens: parseCount(first('x-ratelimit-limit-tokens', 'anthropic-ratelimit-tokens-limit', 'anthropic-ratelimit-input-tokens-limit')),
    remainingTokens: parseCount(first('x-ratelimit-remaining-tokens', 'anthropic-ratelimit-tokens-remaining', 'anthropic-ratelimit-input-tokens-remaining')),
    resetTokensMs: reset('x-ratelimit-reset-tokens', 'anthropic-ratelimit-tokens-reset', 'anthropic-ratelimit-input-tokens-reset'),
  };
  const retryAfterMs = get('retry-after-ms');
  const ms = retryAfterMs !== undefined ? parseCount(retryAfterMs) : undefined;
  const retryAfter = get('retry-after');
  info.retryAfterMs = ms ?? (retryAfter !== undefined ? parseRetryAfterMs(retryAfter, now) : undefined);

  // no `undefined` keys: results compare and log cleanly
  for (const key of Object.keys(info) as (keyof RateLimitInfo)[]) {
    if (info[key] === undefined) delete info[key];
  }
  return info;
}

/**
 * How long to wait before calling again after a 429: `retry-after(-ms)` when sent, else the reset time of
 * the exhausted bucket(s), else undefined.
 */
export function retryDelayMs(info: RateLimitInfo): number | undefined {
  if (info.retryAfterMs !== undefined) return info.retryAfterMs;
  const waits: number[] = [];
  if (info.remainingRequests === 0 && info.resetRequestsMs !== undefined) waits.push(info.resetRequestsMs);
  if (info.remainingTokens === 0 && info.resetTokensMs !== undefined) waits.push(info.resetTokensMs);
  return waits.length > 0 ? Math.max(...waits) : undefined;
}
