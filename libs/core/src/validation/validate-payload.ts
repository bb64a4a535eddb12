import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

export class InvalidPayloadError extends Error {
  constructor(
    what: string,
    readonly problems: string[],
  ) {
    super(`Invalid ${what}: ${problems.join('; ')}`);
    this.name = 'InvalidPayloadError';
  }
}

/** Queue payloads skip the HTTP pipes, so consumers validate them again with the same decorators. */
export function validatePayload<T extends object>(cls: new () => T, data: unknown, what = cls.name): T {
  const instance = plainToInstance(cls, data);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    throw new InvalidPayloadError(
      what,
      errors.flatMap((e) => Object.values(e.constraints ?? {})),
    );
  }
  return instance;
}
