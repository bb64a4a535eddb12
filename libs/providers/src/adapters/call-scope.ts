// What every adapter call shares: its own deadline combined with the caller's signal (remembering which
// one fired), the HTTP response it got (headers: emulated flag, rate limits), latency, and error mapping.
//
// The SDK clients live as long as the provider; they are given `scopedFetch`, which finds the current
// call through AsyncLocalStorage, adds the call's abort signal to the request (the ollama client passes
// none on non-streaming calls) and records the response as soon as its headers arrive.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mapProviderError, type AbortCause } from '../error-mapping';
import { EMULATOR_HEADER, type CallOptions, type ChatResult, type ChatStreamEvent, type RateLimitInfo } from '../llm-provider';
import { StreamInterruptedError, type ProviderError } from '../provider-errors';
import { parseRateLimitHeaders } from '../rate-limit-headers';
import { fastFetch } from '@margin/core';

const current = new AsyncLocalStorage<CallScope>();

export class CallScope {
  private readonly controller = new AbortController();
  private readonly startedAt = performance.now();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private cause: AbortCause | undefined;
  private readonly onCallerAbort = (): void => this.abort('caller');
  /** The last response whose headers arrived during this call. */
  response: Response | undefined;

  constructor(
    readonly providerId: string,
    private readonly options: CallOptions = {},
  ) {
    const { signal, timeoutMs } = options;
    if (signal?.aborted) this.abort('caller');
    else signal?.addEventListener('abort', this.onCallerAbort, { once: true });
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs) && this.cause === undefined) {
      this.timer = setTimeout(() => this.abort('timeout'), Math.max(0, timeoutMs));
    }
  }

  /** Aborts when the deadline passes or the caller aborts (or the call is released). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get abortedBy(): AbortCause | undefined {
    return this.cause;
  }

  private abort(cause: AbortCause): void {
    if (this.cause !== undefined || this.controller.signal.aborted) return;
    this.cause = cause;
    this.controller.abort(cause);
  }

  /** Runs `fn` (which starts the SDK request) with this call as the current one for `scopedFetch`. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return current.run(this, fn);
  }

  /** Throws the typed error at once when the call is already aborted (e.g. the caller's signal was). */
  throwIfAborted(): void {
    if (this.cause !== undefined) throw this.fail(new Error(`aborted (${this.cause})`));
  }

  elapsedMs(): number {
    return Math.round((performance.now() - this.startedAt) * 100) / 100;
  }

  get emulated(): boolean {
    return this.response?.headers.get(EMULATOR_HEADER) === '1';
  }

  rateLimit(): RateLimitInfo {
    return this.response ? parseRateLimitHeaders(this.response.headers) : {};
  }

  /** The typed error for anything thrown during the call. */
  fail(err: unknown): ProviderError {
    return mapProviderError(err, {
      providerId: this.providerId,
      abortedBy: this.cause,
      timeoutMs: this.options.timeoutMs,
      headers: this.response?.headers,
      responseStarted: this.response !== undefined && this.response.ok,
    });
  }

  /**
   * The error for an answer that ended without its final part (no `done`, no usage): a timeout or abort
   * when one of ours cut it (some SDKs end a stream quietly on abort), else StreamInterruptedError.
   */
  incomplete(message: string): ProviderError {
    return this.cause !== undefined ? this.fail(new Error(message)) : new StreamInterruptedError(this.providerId, message);
  }

  /** Ends the call: stops the timer, detaches from the caller's signal, drops any still-open response. */
  dispose(): void {
    this.complete();
    if (!this.controller.signal.aborted) this.controller.abort('released');
  }

  /**
   * Ends a call whose answer was read to the end: stops the timer and detaches from the caller's signal,
   * without aborting (nothing is left open, and an abort would wake every listener down the chain).
   */
  complete(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.options.signal?.removeEventListener('abort', this.onCallerAbort);
  }
}

/** Runs a whole non-streaming call in a scope: typed errors, always disposed. */
export async function withScope<T>(providerId: string, options: CallOptions | undefined, fn: (scope: CallScope) => Promise<T>): Promise<T> {
  const scope = new CallScope(providerId, options);
  try {
    scope.throwIfAborted();
    const result = await scope.run(() => fn(scope));
    scope.complete();
    return result;
  } catch (e) {
    scope.dispose();
    throw scope.fail(e);
  }
}

/**
 * Runs a whole streamed call in a scope: `body` yields the deltas and returns the complete result, which goes
 * out as the final `done` event. Typed errors; a call read to its end is completed, any other (failed, or left
 * by the consumer before the end) is disposed, which drops the open response.
 */
export async function* streamWithScope(
  providerId: string,
  options: CallOptions | undefined,
  body: (scope: CallScope) => AsyncGenerator<Exclude<ChatStreamEvent, { type: 'done' }>, ChatResult>,
): AsyncGenerator<ChatStreamEvent> {
  const scope = new CallScope(providerId, options);
  let completed = false;
  try {
    scope.throwIfAborted();
    const result = yield* body(scope);
    completed = true;
    yield { type: 'done', result };
  } catch (e) {
    throw scope.fail(e);
  } finally {
    if (completed) scope.complete();
    else scope.dispose();
  }
}

/**
 * A fetch for the SDK clients that applies the current call's signal and records its response.
 * `sdkFollowsCallSignal`: the SDK is handed the call's signal and aborts its own request signal with it
 * (openai, @anthropic-ai/sdk), so a signal it passes needs no combining with the call's.
 */
export function scopedFetch(base: typeof fetch = fastFetch, { sdkFollowsCallSignal = false } = {}): typeof fetch {
  return async (input, init) => {
    const scope = current.getStore();
    if (!scope) return base(input, init);
    const own = init?.signal;
    const signal = !own ? scope.signal : sdkFollowsCallSignal ? own : AbortSignal.any([own, scope.signal]);
    const response = await base(input, { ...init, signal });
    scope.response = response;
    return response;
  };
}
