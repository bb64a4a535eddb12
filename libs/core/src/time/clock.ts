import { Injectable } from '@nestjs/common';

/** Time as a dependency, so that logic that depends on it (monthly resets, schedules) can be tested. */
export abstract class Clock {
  abstract now(): Date;
}

@Injectable()
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** Start of the calendar month (UTC) that `at` falls in, and the start of the next one. */
export function monthPeriodUtc(at: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { start, end };
}
