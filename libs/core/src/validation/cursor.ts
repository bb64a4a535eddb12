import { DomainError } from '../errors/domain-error';
import { isSupportedTime } from './supported-time';

export class InvalidCursorError extends DomainError {
  readonly code = 'invalid_cursor';
  readonly httpStatus = 400;
  constructor() {
    super('cursor is not valid');
  }
}

/** Keyset cursor over (created_at, id), opaque to clients; lists sorted newest first use it. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !isSupportedTime(createdAt) || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw new InvalidCursorError();
  return { createdAt, id };
}
