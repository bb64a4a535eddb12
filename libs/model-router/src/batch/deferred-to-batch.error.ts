import { DomainError } from '@margin/core';

/**
 * The call went to (or is still in) the provider's batch tier: nothing to answer now. The item waits and runs
 * again at `retryAt`, when it finds its answer (or, after a failed batch request, runs the call live).
 */
export class DeferredToBatchError extends DomainError {
  readonly code = 'deferred_to_batch';
  readonly httpStatus = 202;
  constructor(
    /** The request's id (its custom_id at the provider). */
    readonly requestId: string,
    readonly modelId: string,
    readonly state: string,
    readonly retryAfterMs: number,
    readonly retryAt: Date,
  ) {
    super(`The call waits in the batch tier of ${modelId} (request ${requestId}, ${state})`);
  }
}
