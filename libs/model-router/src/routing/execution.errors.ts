import { DomainError } from '@margin/core';
import type { ProviderError, ProviderErrorKind } from '@margin/providers';

/** A provider refused in a way another model would not fix (auth, bad request): surfaced, never skipped silently. */
export class LlmCallFailedError extends DomainError {
  readonly code = 'llm_call_failed';
  readonly httpStatus = 502;
  constructor(
    readonly modelId: string,
    readonly providerError: ProviderError,
  ) {
    super(`${modelId} failed (${providerError.kind}): ${providerError.message}`);
  }

  get kind(): ProviderErrorKind {
    return this.providerError.kind;
  }
}

/** Every candidate was skipped or failed. */
export class NoCandidateError extends DomainError {
  readonly code = 'no_candidate';
  readonly httpStatus = 503;
  constructor(
    message: string,
    readonly attempts: AttemptSummary[],
    override readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface AttemptSummary {
  model: string;
  outcome: string;
  detail?: string;
}
