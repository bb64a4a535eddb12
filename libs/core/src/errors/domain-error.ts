/**
 * Base for errors that business logic raises on purpose. Each carries a stable code and the HTTP status
 * the API maps it to; the global filter turns it into Nest's error shape.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  /** Seconds a client should wait before retrying (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
  /** Several problems at once (e.g. every invalid item): sent as the `message` array, like validation errors. */
  readonly details?: string[];

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  readonly httpStatus = 404;
  constructor(what: string) {
    super(`${what} not found`);
  }
}

export class ConflictError extends DomainError {
  readonly code = 'conflict';
  readonly httpStatus = 409;
}

export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
  readonly httpStatus = 403;
}

export class TooManyRequestsError extends DomainError {
  readonly code = 'too_many_requests';
  readonly httpStatus = 429;
  constructor(
    message: string,
    override readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
