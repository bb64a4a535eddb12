import {
  ContextTooLongError,
  InvalidOutputError,
  ProviderAuthError,
  ProviderBadRequestError,
  ProviderRateLimitedError,
  ProviderServerError,
  ProviderTimeoutError,
  ProviderUnavailableError,
  StreamInterruptedError,
} from '@margin/providers';
import { blockerFromCircuit, blockerFromError, blockerFromSkip, outageOf, PROBE_RECHECK_MS, RATE_LIMIT_RETRY_MS, TRANSIENT_RETRY_MS } from './availability';

describe('what a call that could not run waits for', () => {
  it('treats a host that is down, slow or overloaded as transient, by error class', () => {
    expect(blockerFromError('m', new ProviderUnavailableError('ollama', 'connect ECONNREFUSED 127.0.0.1:11434')).waitMs).toBe(TRANSIENT_RETRY_MS);
    expect(blockerFromError('m', new ProviderTimeoutError('ollama', 'no answer in 120000 ms')).waitMs).toBe(TRANSIENT_RETRY_MS);
    expect(blockerFromError('m', new ProviderServerError('openai', 'boom', 503)).waitMs).toBe(TRANSIENT_RETRY_MS);
    expect(blockerFromError('m', new StreamInterruptedError('openai', 'cut')).waitMs).toBe(TRANSIENT_RETRY_MS);
    expect(blockerFromError('m', new ProviderRateLimitedError('openai', 'slow down', 7_000)).waitMs).toBe(7_000);
    expect(blockerFromError('m', new ProviderRateLimitedError('openai', 'slow down', undefined)).waitMs).toBe(RATE_LIMIT_RETRY_MS);
  });

  it('does not read messages: a bad request that mentions "connection refused" is not an outage', () => {
    expect(blockerFromError('m', new ProviderBadRequestError('openai', 'connection refused by policy', 400)).waitMs).toBeNull();
    expect(blockerFromError('m', new ProviderAuthError('openai', 'bad key', 401)).waitMs).toBeNull();
    expect(blockerFromError('m', new Error('ECONNREFUSED')).waitMs).toBeNull();
  });

  it('marks failures about the input itself as the item’s own', () => {
    expect(blockerFromError('m', new InvalidOutputError('ollama', 'not JSON', '{')).aboutInput).toBe(true);
    expect(blockerFromError('m', new ContextTooLongError('ollama', 'too long', 400)).aboutInput).toBe(true);
  });

  it('waits for an open circuit until it half-opens, and for a rate limit until it refills', () => {
    expect(blockerFromSkip('m', 'circuit-open', 'open', 23_000).waitMs).toBe(23_000);
    expect(blockerFromSkip('m', 'rate-limit', 'rpm limit', 800).waitMs).toBe(800);
    for (const reason of ['disabled', 'unknown-model', 'plan', 'context-window', 'budget'] as const)
      expect(blockerFromSkip('m', reason, 'x').waitMs).toBeNull();
  });

  it('looks again soon at a half-open circuit whose probe is out, not when the permit lapses', () => {
    expect(blockerFromCircuit('m', { allowed: false, state: 'half-open', retryAfterMs: 60_000 }).waitMs).toBe(PROBE_RECHECK_MS);
    expect(blockerFromCircuit('m', { allowed: false, state: 'open', retryAfterMs: 12_000 }).waitMs).toBe(12_000);
  });

  it('is an outage when some candidate will be back and none failed on the input; the earliest return wins', () => {
    const outage = outageOf([
      blockerFromSkip('ollama/qwen3:8b', 'circuit-open', 'circuit open after 5 failures', 20_000),
      blockerFromSkip('openai/gpt-4o-mini', 'disabled', 'provider openai is disabled or not configured'),
      blockerFromError('ollama/llama3.1:8b', new ProviderUnavailableError('ollama', 'ECONNREFUSED')),
    ]);
    expect(outage).toEqual({
      retryAfterMs: TRANSIENT_RETRY_MS,
      reason: expect.stringMatching(/^ollama\/qwen3:8b: circuit open.*openai\/gpt-4o-mini: disabled.*ollama\/llama3.1:8b: unreachable/),
    });
  });

  it('is no outage when nothing will come back by waiting, or when a model failed on this input', () => {
    expect(outageOf([])).toBeNull();
    expect(outageOf([blockerFromSkip('a', 'disabled', 'model disabled'), blockerFromSkip('b', 'plan', 'local only')])).toBeNull();
    expect(outageOf([blockerFromSkip('a', 'circuit-open', 'open', 5_000), blockerFromError('b', new InvalidOutputError('x', 'bad', '{'))])).toBeNull();
  });
});
