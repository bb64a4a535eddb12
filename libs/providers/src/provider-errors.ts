// Typed failures, the same for every adapter, so that the router can decide: wait, fall back, or stop.

export type ProviderErrorKind =
  | 'rate_limited'
  | 'timeout'
  | 'aborted'
  | 'context_too_long'
  | 'auth'
  | 'bad_request'
  | 'server_error'
  | 'invalid_output'
  | 'stream_interrupted'
  | 'unavailable';

export abstract class ProviderError extends Error {
  abstract readonly kind: ProviderErrorKind;
  /** Whether trying the next candidate model can help. */
  abstract readonly retryable: boolean;

  constructor(
    readonly providerId: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ProviderRateLimitedError extends ProviderError {
  readonly kind = 'rate_limited' as const;
  readonly retryable = true;
  constructor(
    providerId: string,
    message: string,
    readonly retryAfterMs: number | undefined,
    status = 429,
    options?: { cause?: unknown },
  ) {
    super(providerId, message, status, options);
  }
}

export class ProviderTimeoutError extends ProviderError {
  readonly kind = 'timeout' as const;
  readonly retryable = true;
}

export class ProviderAbortedError extends ProviderError {
  readonly kind = 'aborted' as const;
  readonly retryable = false;
}

export class ContextTooLongError extends ProviderError {
  readonly kind = 'context_too_long' as const;
  readonly retryable = true;
}

export class ProviderAuthError extends ProviderError {
  readonly kind = 'auth' as const;
  readonly retryable = false;
}

export class ProviderBadRequestError extends ProviderError {
  readonly kind = 'bad_request' as const;
  readonly retryable = false;
}

export class ProviderServerError extends ProviderError {
  readonly kind = 'server_error' as const;
  readonly retryable = true;
}

/** The host could not be reached at all (connection refused, DNS). */
export class ProviderUnavailableError extends ProviderError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
}

export class InvalidOutputError extends ProviderError {
  readonly kind = 'invalid_output' as const;
  readonly retryable = true;
  constructor(
    providerId: string,
    message: string,
    readonly rawText: string,
    readonly problems: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(providerId, message, undefined, options);
  }
}

/** A stream that ended without its final message: never a short success. */
export class StreamInterruptedError extends ProviderError {
  readonly kind = 'stream_interrupted' as const;
  readonly retryable = true;
}
