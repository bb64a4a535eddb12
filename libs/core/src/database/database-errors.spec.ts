import { QueryFailedError } from 'typeorm';
import { isUniqueViolation } from './database-errors';

const pgError = (code: string, constraint?: string) => Object.assign(new Error('duplicate key value violates unique constraint'), { code, constraint });

describe('isUniqueViolation', () => {
  it('recognises 23505 from pg and wrapped in TypeORM’s QueryFailedError', () => {
    expect(isUniqueViolation(pgError('23505', 'users_email_key'))).toBe(true);
    expect(isUniqueViolation(new QueryFailedError('INSERT …', [], pgError('23505', 'users_email_key')))).toBe(true);
  });

  it('matches the named constraint only, when one is given', () => {
    const err = new QueryFailedError('INSERT …', [], pgError('23505', 'users_email_key'));
    expect(isUniqueViolation(err, 'users_email_key')).toBe(true);
    expect(isUniqueViolation(err, 'jobs_idempotency')).toBe(false);
  });

  it('is false for other codes and for things that are not errors', () => {
    expect(isUniqueViolation(pgError('23503'))).toBe(false);
    expect(isUniqueViolation(new Error('duplicate'))).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
  });
});
