import { DomainError } from '@margin/core';

/** A request the training API cannot take, with every problem named by its field. */
export class InvalidTrainingRequestError extends DomainError {
  readonly code = 'invalid_training_request';
  readonly httpStatus = 400;
  constructor(override readonly details: string[]) {
    super(details.join('; '));
  }
}
