import { Injectable } from '@nestjs/common';
import type { AnalyzeResponse, CacheScope } from '@margin/contracts';
import { sleep } from '@margin/core';
import type { Principal } from '@margin/identity';
import type { CacheKey } from '../../cache/analysis-cache.service';
import { checkSubmitFields } from '../jobs.dto';
import { JobsRepository } from '../jobs.repository';
import type { ProfileDefinition } from '../../pipeline/pipeline.types';
import { INSTANT_PASSES } from '../../profiles/built-in/song-instant';
import { SubmitJob } from '../usecases/submit-job';
import { formEvents } from '../usecases/submission';
import { EnhancementRegistry, type Enhancement } from './enhancements';

/** `mode: "instant"` answers within this unless the request says otherwise. */
export const INSTANT_DEADLINE_MS = 2_000;

export interface InstantMiss {
  principal: Principal;
  profile: ProfileDefinition;
  input: Record<string, unknown>;
  key: CacheKey;
  scope: CacheScope;
  deadlineMs: number;
  callbackUrl?: string;
  /** performance.now() when the request arrived. */
  started: number;
}

/**
 * An instant analysis the cache could not answer: the full analysis goes to the queue (once per tenant and
 * input, at `high` priority, as a one-item job that is ledgered, budgeted and cached like any other), and the
 * caller gets the profile's instant pass at once (`provisional: true`), or, for a profile without one, the full
 * result if it is ready within the deadline. The worker tells the caller when the full result is in
 * (`analysis.enhanced` on the progress socket, and a signed POST to `callbackUrl`).
 */
@Injectable()
export class InstantAnalysis {
  constructor(
    private readonly registry: EnhancementRegistry,
    private readonly submit: SubmitJob,
    private readonly repo: JobsRepository,
  ) {}

  async answer(miss: InstantMiss): Promise<AnalyzeResponse> {
    const { principal, profile, input, key } = miss;
    const tenantId = principal.tenantId;
    const digest = `${key.profileKey}@${key.profileVersion}:${key.scope}:${key.inputHash}`;
    const ref = `${profile.key}@${profile.version}`;
    let enhancement = await this.registry.claim(tenantId, digest);
    if (!enhancement) {
      try {
        enhancement = await this.queue(principal, ref, input, miss.scope);
        await this.registry.register(tenantId, digest, ref, enhancement);
      } catch (err) {
        await this.registry.release(tenantId, digest);
        throw err;
      }
    }
    if (miss.callbackUrl) await this.registry.addCallback(enhancement.itemId, miss.callbackUrl);
    const latencyMs = () => Math.round(performance.now() - miss.started);

    const pass = profile.instantPass ? INSTANT_PASSES[profile.instantPass] : undefined;
    if (pass) {
      return {
        result: pass(input),
        cached: false,
        costUsd: 0,
        provider: 'margin',
        model: `rules:${profile.instantPass}`,
        latencyMs: latencyMs(),
        provisional: true,
        enhancement,
      };
    }
    // No instant pass: the full result when the queue has it within the deadline, else a provisional empty answer.
    const until = miss.started + miss.deadlineMs;
    for (;;) {
      const [item] = await this.repo.listItems(tenantId, enhancement.jobId, { limit: 1 });
      if (item?.status === 'completed') {
        return {
          result: item.result,
          cached: item.cached,
          costUsd: Number(item.costUsd ?? 0),
          provider: null,
          model: item.model,
          latencyMs: latencyMs(),
          provisional: false,
          enhancement,
        };
      }
      const left = until - performance.now();
      if (item?.status === 'failed' || item?.status === 'cancelled' || left <= 0) break;
      await sleep(Math.min(50, left));
    }
    return { result: null, cached: false, costUsd: 0, provider: null, model: null, latencyMs: latencyMs(), provisional: true, enhancement };
  }

  /** The full analysis as a one-item job of the tenant (quotas, fairness, budget and patience as for any job). */
  private async queue(principal: Principal, ref: string, input: Record<string, unknown>, scope: CacheScope): Promise<Enhancement> {
    const fields = { profile: ref, name: 'Instant analysis', priority: 'high', cacheScope: scope, metadata: { source: 'analyze.instant' } };
    const submitted = await this.submit.execute(principal, { events: formEvents(fields, [input]), checkFields: checkSubmitFields }, undefined, {
      origin: 'instant',
    });
    const [item] = await this.repo.listItems(principal.tenantId, submitted.response.id, { limit: 1 });
    if (!item) throw new Error(`instant analysis: job ${submitted.response.id} has no item`);
    return { jobId: submitted.response.id, itemId: item.id };
  }
}
