// Plain objects for the jobs' unit specs (no database): a job row, a caller, a profile, a body.
import type { Principal } from '@margin/identity';
import type { ProfileDefinition } from '../../pipeline/pipeline.types';
import { JobEntity } from '../job.entity';
import type { BodyEvent } from '../json-body-stream';

export const TENANT = '11111111-1111-4111-8111-111111111111';
export const JOB = '22222222-2222-4222-8222-222222222222';
export const ITEM = '33333333-3333-4333-8333-333333333333';

export function makePrincipal(over: Partial<Principal> = {}): Principal {
  return { tenantId: TENANT, role: 'member', userId: 'user-1', apiKeyId: null, via: 'jwt', operator: false, ...over };
}

export function makeJobRow(over: Partial<JobEntity> = {}): JobEntity {
  return Object.assign(new JobEntity(), {
    id: JOB,
    tenantId: TENANT,
    profileKey: 'ticket',
    profileVersion: 1,
    name: null,
    status: 'queued',
    priority: 'medium',
    budgetUsd: null,
    totalItems: 2,
    completedItems: 0,
    failedItems: 0,
    cachedItems: 0,
    cancelledItems: 0,
    costUsd: '0',
    savedUsd: '0',
    metadata: null,
    idempotencyKey: null,
    requestHash: null,
    createdByUserId: 'user-1',
    createdByApiKeyId: null,
    createdAt: new Date('2026-11-10T12:00:00Z'),
    startedAt: null,
    finishedAt: null,
    maxWaitSeconds: null,
    cacheScope: 'tenant',
    waitingReason: null,
    waitingUntil: null,
    ...over,
  });
}

/** A profile whose items are `{ subject: string }`, with one step per entry of `steps`. */
export function makeProfile(over: Partial<ProfileDefinition> = {}): ProfileDefinition {
  const obj = { type: 'object', properties: { subject: { type: 'string' } }, required: ['subject'], additionalProperties: false };
  return {
    key: 'ticket',
    version: 3,
    name: 'Ticket',
    description: '',
    inputSchema: obj,
    outputSchema: { type: 'object' },
    steps: [{ name: 'classify', operation: 'analyze', complexity: 'simple', prompt: 'Classify {{input.subject}}', outputSchema: { type: 'object' } }],
    cacheScope: 'tenant',
    builtIn: false,
    tenantId: TENANT,
    ...over,
  };
}

/** A JSON body's events, as the streaming parser hands them: fields, then `items` one by one. */
export async function* bodyEvents(body: Record<string, unknown>): AsyncGenerator<BodyEvent> {
  for (const [key, value] of Object.entries(body)) {
    if (key !== 'items' || !Array.isArray(value)) {
      yield { kind: 'field', key, value };
      continue;
    }
    yield { kind: 'itemsStart' };
    for (const item of value as unknown[]) yield { kind: 'item', value: item };
    yield { kind: 'itemsEnd' };
  }
}
