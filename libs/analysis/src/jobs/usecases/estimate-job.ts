import { Injectable } from '@nestjs/common';
import type { JobEstimate } from '@margin/contracts';
import { AppConfig, Clock, MemoryCompactor, picoToUsd, type PicoUsd } from '@margin/core';
import type { Principal } from '@margin/identity';
import { CatalogService, costOf, DEFAULT_MAX_TOKENS, RouterService } from '@margin/model-router';
import type { ProfileDefinition } from '../../pipeline/pipeline.types';
import { QuotaService } from '../../quotas/quota.service';
import { SPOOL_MEMORY_BYTES } from '../item-spool';
import { JobFeeder } from '../job-feeder';
import type { SubmitSource } from './submission';
import { SubmissionReader } from './submission-reader';

/** Assumed generation pace for time estimates before there is history. */
export const ESTIMATE_TOKENS_PER_SECOND = 50;

/** Assumed mean canonical JSON length of an item when it is not known (a submission's answer). */
export const DEFAULT_INPUT_CHARS = 2000;

/** What a batch would cost and take: the profile's steps priced at the model the router would choose for each. */
@Injectable()
export class EstimateJob {
  constructor(
    private readonly reader: SubmissionReader,
    private readonly quotas: QuotaService,
    private readonly router: RouterService,
    private readonly catalog: CatalogService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly feeder: JobFeeder,
    private readonly memory: MemoryCompactor,
  ) {}

  /** Reads the submission as a submit would, and stores nothing. */
  async execute(principal: Principal, source: SubmitSource): Promise<JobEstimate> {
    const { intake, profile, cacheHits } = await this.reader.read(principal, source);
    // as big as a body a submission would spill to disk: its garbage would stay in the old generation
    if (intake.inputChars > SPOOL_MEMORY_BYTES) this.memory.compactSoon();
    return this.forProfile(principal.tenantId, profile, intake.count, cacheHits, intake.inputChars / intake.count);
  }

  async forProfile(
    tenantId: string,
    profile: ProfileDefinition,
    count: number,
    cacheHits: number,
    /** Mean canonical JSON length of an item, when known. */
    meanInputChars: number | null,
  ): Promise<JobEstimate> {
    const calls = count - cacheHits;
    const allowedTiers = (await this.quotas.limitsFor(tenantId)).allowedTiers;
    const inputChars = meanInputChars ?? DEFAULT_INPUT_CHARS;
    let totalPico: PicoUsd = 0n;
    let seconds = 0;
    const steps: JobEstimate['steps'] = [];
    let previousOutput = 0;
    for (const step of profile.steps) {
      if (profile.qualityGate && step.name === profile.qualityGate.refineStep) continue; // runs only when the gate asks
      const maxTokens = step.maxTokens ?? DEFAULT_MAX_TOKENS;
      const inputTokens = Math.ceil((inputChars + step.prompt.length) / 4) + previousOutput;
      const expectedOutput = Math.ceil(maxTokens / 2);
      const plan = await this.router.plan({
        tenantId,
        operation: step.operation,
        complexity: step.complexity,
        inputTokens,
        maxTokens,
        budgetRemainingPico: null,
        allowedTiers,
      });
      const chosen = plan.candidates[0];
      const price = chosen ? this.catalog.priceAt(chosen.model.id, this.clock.now()) : undefined;
      const perCall = price ? costOf(price, { inputTokens, cachedInputTokens: 0, outputTokens: expectedOutput }).totalPico : 0n;
      totalPico += perCall * BigInt(calls);
      seconds += expectedOutput / ESTIMATE_TOKENS_PER_SECOND + 0.3;
      steps.push({
        operation: step.operation,
        provider: chosen?.model.providerId ?? null,
        model: chosen?.model.id ?? null,
        calls,
        costUsd: picoToUsd(perCall * BigInt(calls)),
      });
      previousOutput = expectedOutput;
    }
    const parallel = await this.parallelism();
    return { costUsd: picoToUsd(totalPico), seconds: Math.ceil(Math.ceil(calls / parallel) * seconds), cacheHits, steps };
  }

  /**
   * Items that can run at once: the live workers' slots, from their heartbeats (Bull's connection count would
   * count each worker's several Redis connections); one worker of WORKER_CONCURRENCY assumed when none is up or
   * they cannot be read.
   */
  async parallelism(): Promise<number> {
    const slots = await this.feeder.slots().catch(() => 0);
    return slots > 0 ? slots : this.config.workerConcurrency;
  }
}
