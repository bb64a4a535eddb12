import { DomainError } from '@margin/core';
import type { ProviderError, ProviderErrorKind } from '@margin/providers';
import type { AttemptOutcome } from './attempt-outcome';

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
    readonly attempts: AttemptOutcome[],
    override readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Every candidate was left out because the tenant's plan does not allow its tier: the caller's to fix (403), not an outage. */
export class PlanForbidsModelsError extends DomainError {
  readonly code = 'plan_forbids_model';
  readonly httpStatus = 403;
  constructor(
    message: string,
    readonly attempts: AttemptOutcome[],
  ) {
    super(message);
  }
}

/**
 * Every candidate lacks something the call needs (a catalog capability such as `tools`, or a request field
 * its provider cannot pass on such as `seed`): the caller's to change (400, naming the field), not an outage.
 */
export class UnsupportedParameterError extends DomainError {
  readonly code = 'unsupported_parameter';
  readonly httpStatus = 400;
  constructor(
    message: string,
    /** The request field (OpenAI's name: `tools`, `seed`, `parallel_tool_calls`…). */
    readonly param: string,
    readonly attempts: AttemptOutcome[],
  ) {
    super(message);
  }
}

/** The prompt plus max_tokens fits no candidate's context window: the caller's to shorten (400), not an outage. */
export class ContextLengthExceededError extends DomainError {
  readonly code = 'context_length_exceeded';
  readonly httpStatus = 400;
  constructor(
    message: string,
    readonly attempts: AttemptOutcome[],
  ) {
    super(message);
  }
}

/**
 * Nothing can take the call right now, for reasons that pass on their own (every candidate's circuit open,
 * rate-limited, timing out, refusing connections): retrying at `retryAt` may succeed, and failing the work
 * would only be the outage's fault. Callers that can wait (job items) put the work back until then; callers
 * that cannot (a request) answer 503 with Retry-After.
 */
export class ProvidersUnavailableError extends DomainError {
  readonly code = 'providers_unavailable';
  readonly httpStatus = 503;
  override readonly retryAfterSeconds: number;
  constructor(
    readonly operation: string,
    /** Why, per model, in words (e.g. "ollama/qwen3:8b: circuit open (half-opens in 23 s)"). */
    readonly reason: string,
    /** How long until the earliest candidate may take a call again. */
    readonly retryAfterMs: number,
    /** `now + retryAfterMs`. */
    readonly retryAt: Date,
    readonly attempts: AttemptOutcome[],
  ) {
    super(`No model can take this ${operation} call right now (${reason}); the earliest may be back in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}
