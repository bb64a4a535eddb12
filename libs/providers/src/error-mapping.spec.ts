import { codeOf, errorFromStatus, isContextLengthError, mapProviderError, messageOf, networkCodeOf, type ErrorContext } from './error-mapping';
import {
  ContextTooLongError,
  InvalidOutputError,
  ProviderAbortedError,
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderRateLimitedError,
  ProviderServerError,
  ProviderTimeoutError,
  ProviderUnavailableError,
  StreamInterruptedError,
} from './provider-errors';

const ctx: ErrorContext = { providerId: 'p1' };

/** Shapes of what the SDKs throw, as plain objects (in Jest they often come from another realm anyway). */
const openaiError = (status: number, message: string, code: string | null = null, headers?: Headers): unknown =>
  Object.assign(new Error(`${status} ${message}`), {
    status,
    headers: headers ?? new Headers(),
    error: { message, type: 'invalid_request_error', param: null, code },
    code,
  });
const anthropicError = (status: number, type: string, message: string, headers?: Headers): unknown =>
  Object.assign(new Error(`${status} ${JSON.stringify({ type: 'error', error: { type, message } })}`), {
    status,
    headers: headers ?? new Headers(),
    error: { type: 'error', error: { type, message } },
  });
const ollamaError = (status: number, message: string): unknown =>
  Object.assign(new Error(message), { name: 'ResponseError', error: message, status_code: status });
const fetchFailed = (code: string): unknown =>
  Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code }) });

describe('errorFromStatus (the mapping table)', () => {
  it.each([
    [429, 'Rate limit reached', ProviderRateLimitedError],
    [401, 'invalid x-api-key', ProviderAuthError],
    [402, 'insufficient credits', ProviderAuthError],
    [403, 'permission denied', ProviderAuthError],
    [400, 'max_tokens: Field required', ProviderBadRequestError],
    [404, 'model "x" not found', ProviderBadRequestError],
    [422, 'Unprocessable', ProviderBadRequestError],
    [413, 'request too large', ProviderBadRequestError],
    [408, 'request timeout', ProviderTimeoutError],
    [500, 'internal error', ProviderServerError],
    [502, 'bad gateway', ProviderServerError],
    [503, 'overloaded', ProviderServerError],
    [529, 'Overloaded', ProviderServerError],
    [400, "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", ContextTooLongError],
    [400, 'prompt is too long: 210000 tokens > 200000 maximum', ContextTooLongError],
    [400, 'the input length exceeds the context length', ContextTooLongError],
    [500, 'input length exceeds maximum context length', ContextTooLongError],
    [500, 'context canceled', ProviderServerError],
    [500, 'context deadline exceeded', ProviderServerError],
  ])('%i %j → %p', (status, message, type) => {
    const e = errorFromStatus('p1', status, message);
    expect(e).toBeInstanceOf(type);
    expect(e.status).toBe(status);
    expect(e.providerId).toBe('p1');
    expect(e.message).toContain(message);
  });

  it('uses the OpenAI error code for context_length_exceeded', () => {
    expect(errorFromStatus('p1', 400, 'Too long.', { code: 'context_length_exceeded' })).toBeInstanceOf(ContextTooLongError);
  });

  it('treats OpenAI insufficient_quota (a 429) as an account problem, not a wait', () => {
    expect(errorFromStatus('p1', 429, 'You exceeded your current quota', { code: 'insufficient_quota' })).toBeInstanceOf(ProviderAuthError);
  });

  it('takes retryAfterMs from retry-after, retry-after-ms or the exhausted bucket', () => {
    const wait = (headers: Record<string, string>): number | undefined =>
      (errorFromStatus('p1', 429, 'slow down', { headers }) as ProviderRateLimitedError).retryAfterMs;
    expect(wait({ 'retry-after': '3' })).toBe(3000);
    expect(wait({ 'retry-after-ms': '450', 'retry-after': '1' })).toBe(450);
    expect(wait({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1m30s' })).toBe(90_000);
    expect(wait({})).toBeUndefined();
  });

  it('marks which errors are retryable (another candidate can help)', () => {
    expect(errorFromStatus('p1', 429, 'x').retryable).toBe(true);
    expect(errorFromStatus('p1', 503, 'x').retryable).toBe(true);
    expect(errorFromStatus('p1', 400, 'prompt is too long').retryable).toBe(true);
    expect(errorFromStatus('p1', 401, 'x').retryable).toBe(false);
    expect(errorFromStatus('p1', 400, 'x').retryable).toBe(false);
  });
});

describe('mapProviderError', () => {
  it('maps each SDK’s HTTP errors by status, with the provider’s own message', () => {
    const o = mapProviderError(openaiError(400, 'Too long.', 'context_length_exceeded'), ctx);
    expect(o).toBeInstanceOf(ContextTooLongError);
    expect(o.message).toBe('400 Too long.');
    const a = mapProviderError(anthropicError(400, 'invalid_request_error', 'prompt is too long: 9 tokens > 5 maximum'), ctx);
    expect(a).toBeInstanceOf(ContextTooLongError);
    expect(a.message).toBe('400 prompt is too long: 9 tokens > 5 maximum');
    expect(mapProviderError(anthropicError(529, 'overloaded_error', 'Overloaded'), ctx)).toBeInstanceOf(ProviderServerError);
    expect(mapProviderError(ollamaError(404, 'model "x" not found, try pulling it first'), ctx)).toBeInstanceOf(ProviderBadRequestError);
    expect(mapProviderError(ollamaError(500, 'llama runner process has terminated'), ctx)).toBeInstanceOf(ProviderServerError);
  });

  it('reads retry-after from the SDK error’s headers, else from the response the call recorded', () => {
    const sdk = mapProviderError(openaiError(429, 'Rate limit', null, new Headers({ 'retry-after': '2' })), ctx);
    expect((sdk as ProviderRateLimitedError).retryAfterMs).toBe(2000);
    const ollama = mapProviderError(ollamaError(429, 'too many requests'), { ...ctx, headers: new Headers({ 'retry-after-ms': '750' }) });
    expect((ollama as ProviderRateLimitedError).retryAfterMs).toBe(750);
  });

  it('classifies by who aborted, whatever the error looks like', () => {
    // what the SDKs throw on abort inside Jest: a connection error without its original class
    const abort = Object.assign(new Error('Connection error.'), { name: 'Error', cause: { name: 'AbortError', message: 'This operation was aborted' } });
    expect(mapProviderError(abort, { ...ctx, abortedBy: 'timeout', timeoutMs: 300 })).toBeInstanceOf(ProviderTimeoutError);
    expect(mapProviderError(abort, { ...ctx, abortedBy: 'timeout', timeoutMs: 300 }).message).toMatch(/300 ms/);
    expect(mapProviderError(abort, { ...ctx, abortedBy: 'caller' })).toBeInstanceOf(ProviderAbortedError);
    // even an HTTP error that raced the abort
    expect(mapProviderError(openaiError(500, 'x'), { ...ctx, abortedBy: 'caller' })).toBeInstanceOf(ProviderAbortedError);
  });

  it('maps unreachable hosts to ProviderUnavailableError through the cause chain', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT']) {
      const e = mapProviderError(fetchFailed(code), ctx);
      expect(e).toBeInstanceOf(ProviderUnavailableError);
      expect(e.message).toContain(code);
    }
    // openai/anthropic: APIConnectionError('Connection error.') → TypeError('fetch failed') → AggregateError(ECONNREFUSED ×2)
    const nested = Object.assign(new Error('Connection error.'), {
      cause: Object.assign(new TypeError('fetch failed'), {
        cause: { name: 'AggregateError', message: '', errors: [{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }] },
      }),
    });
    expect(mapProviderError(nested, ctx)).toBeInstanceOf(ProviderUnavailableError);
    expect(mapProviderError(Object.assign(new Error('Connection error.'), { name: 'APIConnectionError' }), ctx)).toBeInstanceOf(ProviderUnavailableError);
  });

  it('maps a transport failure after the response started to StreamInterruptedError', () => {
    const cut = Object.assign(new TypeError('terminated'), { cause: { code: 'UND_ERR_SOCKET', message: 'other side closed' } });
    expect(mapProviderError(cut, { ...ctx, responseStarted: true })).toBeInstanceOf(StreamInterruptedError);
    expect(mapProviderError(cut, ctx)).toBeInstanceOf(ProviderUnavailableError);
  });

  it('maps SDK-side timeouts (not ours) to ProviderTimeoutError', () => {
    expect(mapProviderError(Object.assign(new Error('Request timed out.'), { name: 'APIConnectionTimeoutError' }), ctx)).toBeInstanceOf(ProviderTimeoutError);
    expect(mapProviderError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_HEADERS_TIMEOUT' } }), ctx)).toBeInstanceOf(
      ProviderTimeoutError,
    );
  });

  it('passes ProviderErrors through and turns anything else into ProviderServerError', () => {
    const invalid = new InvalidOutputError('p1', 'bad', '{', ['not JSON']);
    expect(mapProviderError(invalid, { ...ctx, responseStarted: true })).toBe(invalid);
    const odd = mapProviderError('a string was thrown', ctx);
    expect(odd).toBeInstanceOf(ProviderServerError);
    expect(odd.cause).toBe('a string was thrown');
  });
});

describe('error detail helpers', () => {
  it('messageOf prefers the provider’s message over the SDK’s prefixed one', () => {
    expect(messageOf(openaiError(400, 'Bad thing'))).toBe('Bad thing');
    expect(messageOf(anthropicError(400, 'invalid_request_error', 'Bad thing'))).toBe('Bad thing');
    expect(messageOf(ollamaError(400, 'Bad thing'))).toBe('Bad thing');
    expect(messageOf(new Error('plain'))).toBe('plain');
    expect(messageOf(42)).toBe('42');
  });

  it('codeOf reads API codes but not network codes', () => {
    expect(codeOf(openaiError(400, 'x', 'context_length_exceeded'))).toBe('context_length_exceeded');
    expect(codeOf(anthropicError(429, 'rate_limit_error', 'x'))).toBe('rate_limit_error');
    expect(codeOf({ code: 'ECONNREFUSED' })).toBeUndefined();
  });

  it('networkCodeOf walks causes and aggregate errors', () => {
    expect(networkCodeOf(fetchFailed('ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(networkCodeOf({ errors: [{}, { code: 'EHOSTUNREACH' }] })).toBe('EHOSTUNREACH');
    expect(networkCodeOf(new Error('nothing'))).toBeUndefined();
  });

  it('isContextLengthError does not confuse Go context errors with context length', () => {
    expect(isContextLengthError('context canceled')).toBe(false);
    expect(isContextLengthError('context deadline exceeded')).toBe(false);
    expect(isContextLengthError('Please reduce the length of the messages.')).toBe(true);
  });
});
