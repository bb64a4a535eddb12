import { DomainError } from '@margin/core';

/** A request the publishing rules refuse, naming the field at fault. */
export class PublishingInputError extends DomainError {
  readonly code = 'invalid_publishing_request';
  readonly httpStatus = 400;
}
