import { registerDecorator, type ValidationOptions } from 'class-validator';

/** Times Margin stores and queries: JavaScript reaches far past what Postgres accepts (4713 BC … 294276 AD). */
const EARLIEST_MS = Date.UTC(1970, 0, 1);
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function isSupportedTime(at: Date): boolean {
  const ms = at.getTime();
  return Number.isFinite(ms) && ms >= EARLIEST_MS && ms <= LATEST_MS;
}

/** An ISO-8601 time (string) between 1970 and 9999; use with @IsISO8601 for the format itself. */
export function IsSupportedTime(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isSupportedTime',
      target: target.constructor,
      propertyName,
      options: { message: '$property must be a time between 1970-01-01 and 9999-12-31', ...options },
      validator: { validate: (value: unknown) => typeof value !== 'string' || isSupportedTime(new Date(value)) },
    });
}
