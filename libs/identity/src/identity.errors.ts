import { DomainError } from '@margin/core';

export class InvalidCredentialsError extends DomainError {
  readonly code = 'invalid_credentials';
  readonly httpStatus = 401;
  constructor() {
    // The same message for an unknown email and a wrong password: never reveal which accounts exist.
    super('Invalid email or password');
  }
}

export class SignupClosedError extends DomainError {
  readonly code = 'signup_closed';
  readonly httpStatus = 403;
  constructor() {
    super('Sign-up is closed on this installation (ALLOW_SIGNUP is not true)');
  }
}

export class EmailTakenError extends DomainError {
  readonly code = 'email_taken';
  readonly httpStatus = 409;
  constructor() {
    super('A user with this email already exists');
  }
}

export class RoleTooHighError extends DomainError {
  readonly code = 'role_too_high';
  readonly httpStatus = 403;
  constructor(what: string) {
    super(`You cannot ${what} with a role above your own`);
  }
}

export class LastOwnerError extends DomainError {
  readonly code = 'last_owner';
  readonly httpStatus = 409;
  constructor() {
    super('A tenant must keep at least one owner');
  }
}

export class OperatorOnlyError extends DomainError {
  readonly code = 'operator_only';
  readonly httpStatus = 403;
  constructor() {
    super("Only the operator tenant's owner can manage tenants");
  }
}

export class InvalidSignupTokenError extends DomainError {
  readonly code = 'invalid_signup_token';
  readonly httpStatus = 400;
  override readonly details = ['token is invalid, used or expired: sign up again for a new link'];
  constructor() {
    super('token is invalid, used or expired: sign up again for a new link');
  }
}
