import { DomainError } from '@margin/core';

/** The item's input does not match the profile's inputSchema (queue payloads are checked again where consumed). */
export class PipelineInputError extends DomainError {
  readonly code = 'invalid_input';
  readonly httpStatus = 400;
  constructor(
    readonly profileKey: string,
    readonly problems: string[],
  ) {
    super(`Invalid input for profile "${profileKey}": ${problems.join('; ')}`);
  }
}

/** The pipeline ran, but what it produced does not match the profile's outputSchema. */
export class PipelineOutputError extends DomainError {
  readonly code = 'invalid_pipeline_output';
  readonly httpStatus = 422;
  constructor(
    readonly profileKey: string,
    readonly problems: string[],
  ) {
    super(`Profile "${profileKey}" produced output that does not match its outputSchema: ${problems.join('; ')}`);
  }
}
