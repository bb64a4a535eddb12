import type { CacheScope, JobPublishOption, Priority } from '@margin/contracts';
import { DomainError } from '@margin/core';
import type { BodyEvent } from '../json-body-stream';

export interface SubmitInput {
  profile: string;
  name?: string;
  priority?: Priority | 'auto';
  budgetUsd?: number;
  maxWaitSeconds?: number;
  cacheScope?: CacheScope;
  /** ISO time the results are needed by (a far one allows the batch tier). */
  deadline?: string;
  /** The job may wait for the batch tier (default: the tenant's). */
  deferrable?: boolean;
  items: Array<Record<string, unknown>>;
  metadata?: Record<string, unknown>;
  publish?: JobPublishOption;
}

export type SubmitFields = Omit<SubmitInput, 'items'>;

/** What is wrong with `items` as a whole (reported with the other fields' validation errors). */
export interface ItemsShapeProblems {
  notArray: boolean;
  tooMany: boolean;
  nonObject: boolean;
}

/** A submission as it arrives: the body's events (a JSON body streamed, or a form's fields and file) and the fields' rules. */
export interface SubmitSource {
  events: AsyncIterable<BodyEvent>;
  /** Validates the fields other than `items` (throws a 400 listing every problem, with those of `items`). */
  checkFields(fields: Record<string, unknown>, items: ItemsShapeProblems): Promise<SubmitFields>;
}

export class NoItemsError extends DomainError {
  readonly code = 'no_items';
  readonly httpStatus = 400;
  constructor() {
    super('items must contain at least 1 item (or upload a CSV/JSON file in `file`)');
  }
}

/** A form's fields, then its items, as body events. */
export async function* formEvents(fields: Record<string, unknown>, items: unknown): AsyncGenerator<BodyEvent> {
  for (const [key, value] of Object.entries(fields)) yield { kind: 'field', key, value };
  if (items === undefined) return;
  if (!Array.isArray(items)) {
    yield { kind: 'field', key: 'items', value: items };
    return;
  }
  for (const value of items) yield { kind: 'item', value: value as unknown };
}
