import { Injectable } from '@nestjs/common';
import type { ModelTier, PlanStepView } from '@margin/contracts';
import { Clock, picoToUsd, type PicoUsd } from '@margin/core';
import { LedgerUsageStatsRepository, type LatencyStats, type OutputTokenStats } from '@margin/cost-tracking';
import { CatalogService, estimateInputTokens, RouterService, type RoutePlan } from '@margin/model-router';
import { JobsRepository } from '../jobs/jobs.repository';
import { EstimateJob } from '../jobs/usecases/estimate-job';
import { DEFAULT_STEP_MAX_TOKENS, stepMessages } from '../pipeline/pipeline-runner';
import type { ProfileDefinition, ProfileStep } from '../pipeline/pipeline.types';

/** Items whose prompts are rendered to size a step's input. */
export const SAMPLE_ITEMS = 20;
/** Calls of an operation (or a model) the tenant must have made before its own figures replace the defaults. */
export const MIN_HISTORY = 5;
/** Generation pace assumed for a model with no history (tokens per second), and the time to a first token. */
const DEFAULT_TOKENS_PER_SECOND = 50;
const DEFAULT_FIRST_TOKEN_MS = 300;

export interface PlanEstimate {
  steps: PlanStepView[];
  costPico: PicoUsd;
  worstPico: PicoUsd;
  seconds: number;
  /** Per step, the candidate that costs least (the "cheapest plan" when the budget is tight). */
  cheapest: Array<{ step: string; model: string; costPico: PicoUsd }>;
}

export interface EstimateRequest {
  tenantId: string;
  profile: ProfileDefinition;
  /** Items that would call a model (not served by the cache). */
  calls: number;
  /** Mean canonical JSON length of an item. */
  meanInputChars: number;
  /** Some of the items (up to SAMPLE_ITEMS): each step's prompt is rendered for them, as the pipeline will send it. */
  sampleInputs?: ReadonlyArray<Record<string, unknown>>;
  allowedTiers: readonly ModelTier[];
  /** Steps pinned to a model (by step name). */
  stepModels: Readonly<Record<string, string>>;
}

/**
 * What a profile's steps would cost and take on the models the router would pick (or the pinned ones), learned
 * from the tenant's ledger: output tokens per operation at the median (expected) and the 95th percentile (worst
 * case, with every quality-gate round), seconds per model from its measured pace; the time adds the tenant's
 * queue ahead and the models' rate limits.
 */
@Injectable()
export class PlanEstimator {
  constructor(
    private readonly router: RouterService,
    private readonly catalog: CatalogService,
    private readonly stats: LedgerUsageStatsRepository,
    private readonly jobs: JobsRepository,
    private readonly estimates: EstimateJob,
    private readonly clock: Clock,
  ) {}

  async estimate(req: EstimateRequest): Promise<PlanEstimate> {
    const { profile, calls } = req;
    const gate = profile.qualityGate;
    const now = this.clock.now();
    const outputs = await this.stats.outputTokens(
      req.tenantId,
      profile.steps.map((s) => s.operation),
    );
    const parallel = await this.estimates.parallelism();
    const steps: PlanStepView[] = [];
    const cheapest: PlanEstimate['cheapest'] = [];
    let costPico: PicoUsd = 0n;
    let worstPico: PicoUsd = 0n;
    let itemSeconds = 0;
    let limiterSeconds = 0;
    let previousOutput = 0;
    for (const step of profile.steps) {
      // the refine step runs only when the gate asks: not expected, but in the worst case every round
      const refine = gate !== undefined && step.name === gate.refineStep;
      const rounds = refine ? gate.maxRounds : 1;
      const maxTokens = step.maxTokens ?? DEFAULT_STEP_MAX_TOKENS;
      // the prompt as the pipeline renders it (templates, its JSON instruction, the output schema sent along), for
      // sample items; the earlier steps' answers it quotes count as their expected output
      const samples = req.sampleInputs?.length ? req.sampleInputs : null;
      const rendered = samples
        ? Math.ceil(samples.reduce((n, input) => n + estimateInputTokens(stepMessages(step, { input, steps: {} }), step.outputSchema), 0) / samples.length)
        : Math.ceil((req.meanInputChars + (step.system?.length ?? 0) + step.prompt.length) / 4);
      const inputTokens = rendered + previousOutput;
      const out = outputs.get(step.operation);
      const expectedOutput = learned(out) ? Math.max(1, Math.round(out.p50)) : Math.ceil(maxTokens / 2);
      const worstOutput = learned(out) ? Math.min(maxTokens, Math.max(expectedOutput, Math.ceil(out.p95))) : maxTokens;
      const pinned = req.stepModels[step.name];
      const route = {
        tenantId: req.tenantId,
        operation: step.operation,
        complexity: step.complexity,
        inputTokens,
        maxTokens,
        budgetRemainingPico: null,
        allowedTiers: req.allowedTiers,
      };
      const plan = await this.router.plan(pinned ? { ...route, models: [pinned] } : route);
      // the cheapest choice looks at the policy cell's candidates too, whatever was pinned
      const cell = pinned ? await this.router.plan(route) : plan;
      const options = [...plan.candidates, ...cell.candidates.filter((c) => !plan.candidates.some((p) => p.model.id === c.model.id))];
      const latencies = await this.stats.latency(
        req.tenantId,
        options.map((c) => ({ modelId: c.model.id, operation: step.operation })),
      );
      const priced = options.map((c) => {
        const lat = latencies.get(`${c.model.id}|${step.operation}`);
        const ms = (tokens: number) =>
          learnedLatency(lat) ? lat.msPerOutputToken * tokens : DEFAULT_FIRST_TOKEN_MS + (tokens / DEFAULT_TOKENS_PER_SECOND) * 1000;
        const per = (tokens: number) => this.catalog.costOf(c.model.id, { inputTokens, cachedInputTokens: 0, outputTokens: tokens }, now, ms(tokens)).totalPico;
        return { candidate: c, expectedPico: per(expectedOutput), worstPico: per(worstOutput), seconds: ms(expectedOutput) / 1000 };
      });
      const chosen = plan.candidates.length ? priced[0] : undefined;
      const stepCost = refine || !chosen ? 0n : chosen.expectedPico * BigInt(calls);
      const stepWorst = chosen ? chosen.worstPico * BigInt(calls * rounds) : 0n;
      const stepSeconds = refine || !chosen ? 0 : chosen.seconds;
      costPico += stepCost;
      worstPico += stepWorst;
      itemSeconds += stepSeconds;
      const rpm = chosen?.candidate.model.rpm;
      if (rpm && !refine) limiterSeconds = Math.max(limiterSeconds, (calls / rpm) * 60);
      const best = [...priced].sort((a, b) => (a.expectedPico < b.expectedPico ? -1 : a.expectedPico > b.expectedPico ? 1 : 0))[0];
      if (best && !refine) cheapest.push({ step: step.name, model: best.candidate.model.id, costPico: best.expectedPico * BigInt(calls) });
      steps.push({
        step: step.name,
        operation: step.operation,
        provider: chosen?.candidate.model.providerId ?? null,
        model: chosen?.candidate.model.id ?? null,
        reason: reasonFor(step, plan, pinned, refine, learned(out) ? out : undefined),
        pinned: pinned !== undefined,
        calls: refine ? 0 : calls,
        inputTokens,
        outputTokens: expectedOutput,
        costUsd: picoToUsd(stepCost),
        worstCaseUsd: picoToUsd(stepWorst),
        seconds: round1(stepSeconds * Math.ceil(calls / parallel)),
      });
      if (!refine) previousOutput = expectedOutput;
    }
    // what the tenant has queued already runs first (its own fair share), then these items, no faster than the limits allow
    const ahead = await this.jobs.openItemCount(req.tenantId);
    const queueSeconds = Math.ceil(ahead / parallel) * itemSeconds;
    const seconds = Math.ceil(queueSeconds + Math.max(Math.ceil(calls / parallel) * itemSeconds, limiterSeconds));
    return { steps, costPico, worstPico, seconds, cheapest };
  }
}

const learned = (s: OutputTokenStats | undefined): s is OutputTokenStats => s !== undefined && s.calls >= MIN_HISTORY;
const learnedLatency = (s: LatencyStats | undefined): s is LatencyStats => s !== undefined && s.calls >= MIN_HISTORY && s.msPerOutputToken > 0;
const round1 = (n: number) => Math.round(n * 10) / 10;

function reasonFor(step: ProfileStep, plan: RoutePlan, pinned: string | undefined, refine: boolean, out: OutputTokenStats | undefined): string {
  const first = plan.candidates[0];
  const parts: string[] = [];
  if (!first) parts.push(`no model can take ${step.operation}/${step.complexity} now`);
  else if (pinned) parts.push(`${first.model.id}, chosen by hand`);
  else parts.push(`${first.model.id} (${first.model.tier}): the first usable candidate of the ${step.operation}/${step.complexity} policy cell`);
  if (plan.abTest?.challengerChosen) parts.push(`A/B challenger ${plan.abTest.challenger}`);
  if (plan.skipped.length) parts.push(`skipped ${plan.skipped.map((s) => `${s.model} (${s.reason})`).join(', ')}`);
  if (refine) parts.push('runs only when the quality gate asks (worst case: every round)');
  parts.push(
    out
      ? `output ~${Math.round(out.p50)} tokens (p95 ${Math.round(out.p95)}) from ${out.calls} recent calls`
      : 'output estimated from max_tokens (no history yet)',
  );
  return parts.join('; ');
}
