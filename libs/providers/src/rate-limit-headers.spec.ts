import { headerValue, parseDurationMs, parseRateLimitHeaders, parseRetryAfterMs, retryDelayMs } from './rate-limit-headers';

const NOW = Date.parse('2025-06-01T12:00:00Z');

describe('parseDurationMs (OpenAI reset format)', () => {
  it.each([
    ['1s', 1000],
    ['250ms', 250],
    ['6m0s', 360_000],
    ['1m30.5s', 90_500],
    ['1h2m3s', 3_723_000],
    ['0.5s', 500],
    ['2m', 120_000],
    ['20', 20_000],
    ['1.25', 1250],
  ])('%s → %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', 'soon', '1x', '-1s', '2025-06-01T12:00:00Z'])('%j is not a duration', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});

describe('parseRetryAfterMs', () => {
  it('reads seconds (integer or decimal) and HTTP dates', () => {
    expect(parseRetryAfterMs('20', NOW)).toBe(20_000);
    expect(parseRetryAfterMs('1.5', NOW)).toBe(1500);
    expect(parseRetryAfterMs('Sun, 01 Jun 2025 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfterMs('Sun, 01 Jun 2025 11:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfterMs('later', NOW)).toBeUndefined();
  });
});

describe('parseRateLimitHeaders', () => {
  it('reads OpenAI x-ratelimit-* and retry-after headers', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '200000',
      'x-ratelimit-remaining-tokens': '199100',
      'x-ratelimit-reset-tokens': '6m0s',
      'retry-after': '2',
    });
    expect(parseRateLimitHeaders(headers, NOW)).toEqual({
      limitRequests: 500,
      remainingRequests: 499,
      resetRequestsMs: 120,
      limitTokens: 200_000,
      remainingTokens: 199_100,
      resetTokensMs: 360_000,
      retryAfterMs: 2000,
    });
  });

  it('reads anthropic-ratelimit-* headers, resets being RFC 3339 times', () => {
    const headers = {
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2025-06-01T12:00:01Z',
      'anthropic-ratelimit-tokens-limit': '50000',
      'anthropic-ratelimit-tokens-remaining': '48000',
      'anthropic-ratelimit-tokens-reset': '2025-06-01T12:00:00.250Z',
    };
    expect(parseRateLimitHeaders(headers, NOW)).toEqual({
      limitRequests: 50,
      remainingRequests: 0,
      resetRequestsMs: 1000,
      limitTokens: 50_000,
      remainingTokens: 48_000,
      resetTokensMs: 250,
    });
  });

  it('falls back to anthropic input-token limits when no combined token limit is sent', () => {
    const info = parseRateLimitHeaders({ 'anthropic-ratelimit-input-tokens-limit': '40000', 'anthropic-ratelimit-input-tokens-remaining': '39000' }, NOW);
    expect(info).toEqual({ limitTokens: 40_000, remainingTokens: 39_000 });
  });

  it('prefers retry-after-ms over retry-after, and reads retry-after as an HTTP date', () => {
    expect(parseRateLimitHeaders({ 'retry-after': '3', 'retry-after-ms': '1250' }, NOW).retryAfterMs).toBe(1250);
    expect(parseRateLimitHeaders({ 'Retry-After': 'Sun, 01 Jun 2025 12:01:00 GMT' }, NOW).retryAfterMs).toBe(60_000);
  });

  it('clamps reset times already past to 0', () => {
    expect(parseRateLimitHeaders({ 'anthropic-ratelimit-requests-reset': '2025-06-01T11:59:00Z' }, NOW).resetRequestsMs).toBe(0);
  });

  it('is case-insensitive on plain records, takes the first of repeated values and ignores garbage', () => {
    const info = parseRateLimitHeaders(
      { 'X-RateLimit-Limit-Requests': ['60', '70'], 'x-ratelimit-remaining-requests': 'lots', 'x-ratelimit-reset-requests': 'soon', 'retry-after': '' },
      NOW,
    );
    expect(info).toEqual({ limitRequests: 60 });
  });

  it('gives an empty object without rate-limit headers (no undefined keys)', () => {
    const info = parseRateLimitHeaders(new Headers({ 'content-type': 'application/json' }), NOW);
    expect(info).toEqual({});
    expect(Object.keys(info)).toEqual([]);
  });

  it('headerValue works on Headers and records', () => {
    expect(headerValue(new Headers({ 'X-Margin-Emulator': '1' }), 'x-margin-emulator')).toBe('1');
    expect(headerValue({ 'X-Margin-Emulator': ' 1 ' }, 'x-margin-emulator')).toBe('1');
    expect(headerValue(undefined, 'x')).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  it('uses retry-after first', () => {
    expect(retryDelayMs({ retryAfterMs: 800, remainingRequests: 0, resetRequestsMs: 5000 })).toBe(800);
  });

  it('else waits for the exhausted bucket(s) to reset', () => {
    expect(retryDelayMs({ remainingRequests: 0, resetRequestsMs: 1200, remainingTokens: 10, resetTokensMs: 9000 })).toBe(1200);
    expect(retryDelayMs({ remainingRequests: 0, resetRequestsMs: 1200, remainingTokens: 0, resetTokensMs: 9000 })).toBe(9000);
  });

  it('is undefined when nothing says how long to wait', () => {
    expect(retryDelayMs({ remainingRequests: 3, resetRequestsMs: 1200 })).toBeUndefined();
    expect(retryDelayMs({})).toBeUndefined();
  });
});
