// An item that could not run because no provider could take its calls for now waits and runs again, without
// spending an attempt, until the job's patience runs out.
import { Injectable } from '@nestjs/common';
import type { Priority } from '@margin/contracts';
import { JobFeeder } from './job-feeder';

/** A provider expected back "now" still gets this much room, so that a refused item does not spin. */
export const MIN_WAIT_MS = 500;

export type WaitDecision = { kind: 'wait'; delayMs: number; until: Date } | { kind: 'give-up'; message: string };

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 360) / 10} h`;
}

/**
 * Wait until the earliest provider may be back (never past the patience deadline, which counts from when this
 * item began waiting), or give up once the deadline has passed, saying why.
 */
export function decideWait(input: { now: Date; waitingSince: Date | null; patienceSeconds: number; retryAt: Date; reason: string }): WaitDecision {
  const now = input.now.getTime();
  const since = input.waitingSince?.getTime() ?? now;
  const deadline = since + input.patienceSeconds * 1000;
  if (now >= deadline) {
    return {
      kind: 'give-up',
      message: `Gave up after waiting ${duration(now - since)} for a model provider to come back (the job's maxWaitSeconds is ${input.patienceSeconds}): ${input.reason}`,
    };
  }
  const until = Math.min(Math.max(input.retryAt.getTime(), now + MIN_WAIT_MS), deadline);
  return { kind: 'wait', delayMs: Math.max(1, until - now), until: new Date(until) };
}

/**
 * Puts an item back in the analysis queue to run after `delayMs`, through the fair queue (JobFeeder.requeueLater):
 * it waits in Redis without holding a place in Bull, then re-enters first in its job's line as a new entry
 * (`<item>:wait<n>`): the running delivery completes, so the wait spends none of the queue's attempts, and the id
 * is not one Bull already holds. The one place a waiting item re-enters the queue.
 */
@Injectable()
export class OutageRequeue {
  constructor(private readonly feeder: JobFeeder) {}

  async putBack(
    tenantId: string,
    jobId: string,
    priority: Priority,
    item: { id: string; attempts: number; waits: number; spentAttempts: number },
    delayMs: number,
  ): Promise<void> {
    await this.feeder.requeueLater(tenantId, jobId, priority, item, Math.max(1, Math.round(delayMs)));
  }
}
