import { ProviderAbortedError, ProviderTimeoutError, StreamInterruptedError } from '../provider-errors';
import { CallScope, scopedFetch, withScope } from './call-scope';

const okResponse = (): Response => new Response('{}', { status: 200, headers: { 'x-margin-emulator': '1', 'x-ratelimit-limit-requests': '10' } });

describe('CallScope', () => {
  it('fires its deadline and says so', async () => {
    const scope = new CallScope('p1', { timeoutMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(scope.signal.aborted).toBe(true);
    expect(scope.abortedBy).toBe('timeout');
    expect(scope.fail(new Error('Connection error.'))).toBeInstanceOf(ProviderTimeoutError);
    scope.dispose();
  });

  it("follows the caller's signal, already aborted or aborted later", () => {
    const before = new AbortController();
    before.abort();
    expect(new CallScope('p1', { signal: before.signal }).abortedBy).toBe('caller');

    const later = new AbortController();
    const scope = new CallScope('p1', { signal: later.signal, timeoutMs: 10_000 });
    expect(scope.abortedBy).toBeUndefined();
    later.abort();
    expect(scope.abortedBy).toBe('caller');
    expect(() => scope.throwIfAborted()).toThrow(ProviderAbortedError);
    scope.dispose();
  });

  it('dispose stops the timer, detaches from the caller and never counts as an abort', async () => {
    const caller = new AbortController();
    const scope = new CallScope('p1', { signal: caller.signal, timeoutMs: 10 });
    scope.dispose();
    await new Promise((resolve) => setTimeout(resolve, 20));
    caller.abort();
    expect(scope.abortedBy).toBeUndefined();
    expect(scope.signal.aborted).toBe(true);
  });

  it('complete() ends a finished call without aborting it (withScope does so on success, aborts on failure)', async () => {
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    await withScope('p1', { signal: caller.signal, timeoutMs: 10 }, (scope) => {
      seen = scope.signal;
      return Promise.resolve();
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    caller.abort();
    expect(seen?.aborted).toBe(false); // no deadline, no caller abort, no release abort after a completed call
    await expect(withScope('p1', {}, (scope) => ((seen = scope.signal), Promise.reject(new Error('boom'))))).rejects.toThrow();
    expect(seen?.aborted).toBe(true);
  });

  it('incomplete() is StreamInterruptedError unless one of our aborts ended the stream', () => {
    const scope = new CallScope('p1');
    expect(scope.incomplete('no usage')).toBeInstanceOf(StreamInterruptedError);
    const caller = new AbortController();
    const aborted = new CallScope('p1', { signal: caller.signal });
    caller.abort();
    expect(aborted.incomplete('no usage')).toBeInstanceOf(ProviderAbortedError);
  });
});

describe('scopedFetch', () => {
  it("adds the current call's signal, records the response and leaves other calls alone", async () => {
    const seen: Array<AbortSignal | null | undefined> = [];
    const base: typeof fetch = (_input, init) => {
      seen.push(init?.signal);
      return Promise.resolve(okResponse());
    };
    const wrapped = scopedFetch(base);
    const result = await withScope('p1', {}, async (scope) => {
      await wrapped('http://host/x', { method: 'POST' });
      expect(seen[0]).toBe(scope.signal);
      return { emulated: scope.emulated, rateLimit: scope.rateLimit() };
    });
    expect(result).toEqual({ emulated: true, rateLimit: { limitRequests: 10 } });

    await wrapped('http://host/y');
    expect(seen[1]).toBeUndefined();
  });

  it("passes the SDK's own signal as is when the SDK already follows the call's signal", async () => {
    let signal: AbortSignal | null | undefined;
    const wrapped = scopedFetch(
      (_input, init) => {
        signal = init?.signal;
        return Promise.resolve(okResponse());
      },
      { sdkFollowsCallSignal: true },
    );
    const own = new AbortController();
    await withScope('p1', {}, () => wrapped('http://host/x', { signal: own.signal }));
    expect(signal).toBe(own.signal);
  });

  it("combines the SDK's own signal with the call's", async () => {
    let signal: AbortSignal | null | undefined;
    const wrapped = scopedFetch((_input, init) => {
      signal = init?.signal;
      return Promise.resolve(okResponse());
    });
    const own = new AbortController();
    await withScope('p1', {}, () => wrapped('http://host/x', { signal: own.signal }));
    own.abort();
    expect(signal?.aborted).toBe(true);
  });

  it('withScope maps failures and rejects at once for an already-aborted caller', async () => {
    const caller = new AbortController();
    caller.abort();
    let ran = false;
    await expect(
      withScope('p1', { signal: caller.signal }, () => {
        ran = true;
        return Promise.resolve(1);
      }),
    ).rejects.toBeInstanceOf(ProviderAbortedError);
    expect(ran).toBe(false);
  });
});
