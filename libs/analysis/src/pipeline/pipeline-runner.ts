import { Injectable, Logger } from '@nestjs/common';
import type { ChatMessage, Complexity } from '@margin/contracts';
import { LedgerService } from '@margin/cost-tracking';
import type { PicoUsd } from '@margin/core';
import { LlmExecutor } from '@margin/model-router';
import { compileSchema } from './json-schema';
import { PipelineInputError, PipelineOutputError } from './pipeline.errors';
import type { PipelineContext, PipelineResult, PipelineStepResult, ProfileDefinition, ProfileStep, StepCheckpoint } from './pipeline.types';
import { composeGatedOutput, composesGatedOutput, escalate, finalStep, gateSteps, readScore, type GateSteps } from './quality-gate';
import { renderTemplate, type TemplateScope } from './template';

export const DEFAULT_STEP_MAX_TOKENS = 1024;
const STEP_TIMEOUT_MS = 120_000;
const MAX_RATE_WAIT_MS = 30_000;

interface StepRun {
  step: ProfileStep;
  modelId: string;
  providerId: string;
  output: unknown;
  /** The ledger attempt of the answer (unknown for a step reused from an old checkpoint). */
  attemptId?: string;
  /** Resolves once the answer's call is booked. */
  booked: Promise<void>;
}

/** What the model is told besides the step's own prompts: the answer's shape. */
export function jsonInstruction(step: ProfileStep): string {
  return `Reply with JSON only (no prose, no Markdown code fence): one value that matches this JSON schema.\n${JSON.stringify(step.outputSchema)}`;
}

/** The chat messages for one step call: the rendered system prompt plus the JSON instruction, then the rendered prompt. */
export function stepMessages(step: ProfileStep, scope: TemplateScope): ChatMessage[] {
  const system = step.system === undefined ? '' : renderTemplate(step.system, scope).trim();
  return [
    { role: 'system', content: system ? `${system}\n\n${jsonInstruction(step)}` : jsonInstruction(step) },
    { role: 'user', content: renderTemplate(step.prompt, scope) },
  ];
}

/**
 * Turns one item's input into its output through a profile's steps. Every call goes through the executor
 * (routing, limits, budget, ledger, fallback, one JSON repair); this class owns the order of the steps,
 * their prompts, the quality gate and the totals.
 */
@Injectable()
export class PipelineRunner {
  private readonly logger = new Logger(PipelineRunner.name);

  constructor(
    private readonly executor: LlmExecutor,
    private readonly ledger: LedgerService,
  ) {}

  async run(profile: ProfileDefinition, input: unknown, ctx: PipelineContext): Promise<PipelineResult> {
    const inputProblems = compileSchema(profile.inputSchema).problems(input);
    if (inputProblems.length > 0) throw new PipelineInputError(profile.key, inputProblems);

    const gate = profile.qualityGate;
    const gated = gate ? gateSteps(profile.steps, gate) : null;
    // Tenant profiles are checked when saved and built-ins by their tests: this is a broken definition.
    if (Array.isArray(gated)) throw new PipelineOutputError(profile.key, gated);

    const scope: TemplateScope = { input, steps: {} };
    const steps: PipelineStepResult[] = [];
    let spent: PicoUsd = 0n;
    let counterfactual: PicoUsd = 0n;
    let emulated = false;
    const bookings: Array<Promise<void>> = [];
    // Bookings still running when a later step throws must not go unobserved.
    const settled = (): Promise<void> => Promise.all(bookings).then(() => undefined);
    // One step has nothing to resume from: only multi-step profiles keep their steps between attempts.
    const checkpoints = profile.steps.length > 1 ? ctx.checkpoints : undefined;
    const done = checkpoints ? await checkpoints.load() : new Map<string, StepCheckpoint>();

    const record = (step: ProfileStep, round: number, r: StepCheckpoint, booked: Promise<void>): StepRun => {
      spent += r.costPico;
      // The call's counterfactual, never below what it cost (as the ledger's routing savings: greatest(premium − cost, 0)).
      const premium = r.premiumCostPico ?? r.costPico;
      counterfactual += premium > r.costPico ? premium : r.costPico;
      emulated ||= r.emulated;
      steps.push({ name: step.name, operation: step.operation, model: r.model, provider: r.provider, costPico: r.costPico, round });
      scope.steps[step.name] = r.output;
      return { step, modelId: r.model, providerId: r.provider, output: r.output, booked, ...(r.attemptId ? { attemptId: r.attemptId } : {}) };
    };

    const call = async (step: ProfileStep, round: number, complexity: Complexity): Promise<StepRun> => {
      ctx.signal?.throwIfAborted();
      const checkpointKey = `${step.name}:${round}`;
      const reused = done.get(checkpointKey);
      if (reused) return record(step, round, reused, Promise.resolve());
      const messages = stepMessages(step, scope);
      const callRef = (name: string, r: number): string => `${ctx.attemptKey}:${name}:${r}`;
      // The assess step judges the latest content (the content step's answer, or the last refinement's).
      const assesses =
        gate && gated && step === gated.assess
          ? { callRef: round === 0 ? callRef(gated.content.name, 0) : callRef(gated.refine.name, round), scoreField: gate.scoreField }
          : undefined;
      // A tier the tenant cannot use (a free plan's local-only models, a spent budget, an outage) is not a reason
      // to fail the item while a lower tier can answer: the executor steps down.
      const outcome = await this.executor.execute({
        tenantId: ctx.tenantId,
        userId: ctx.userId,
        apiKeyId: ctx.apiKeyId,
        jobId: ctx.jobId,
        itemId: ctx.itemId,
        // The job's whole budget: the budget service counts what the job has spent already.
        jobBudgetPico: ctx.jobBudgetPico,
        operation: step.operation,
        complexity,
        stepDown: true,
        messages,
        maxTokens: step.maxTokens ?? DEFAULT_STEP_MAX_TOKENS,
        outputSchema: { name: step.name, schema: step.outputSchema },
        attemptPrefix: callRef(step.name, round),
        trace: {
          source: ctx.source ?? 'job',
          record: ctx.recordExamples ?? true,
          profileKey: profile.key,
          profileVersion: profile.version,
          step: step.name,
          round,
          ...(assesses ? { assesses } : {}),
        },
        allowedTiers: ctx.allowedTiers,
        signal: ctx.signal,
        transport: 'stream',
        timeoutMs: STEP_TIMEOUT_MS,
        maxWaitMs: MAX_RATE_WAIT_MS,
        ...(ctx.stepModels?.[step.name] ? { models: [ctx.stepModels[step.name] as string] } : ctx.models?.length ? { models: ctx.models } : {}),
        ...(ctx.settleInBackground ? { settleInBackground: true } : {}),
        ...(ctx.beforeDispatch ? { beforeDispatch: ctx.beforeDispatch } : {}),
        // stable across the item's attempts and waits: the batch request of this step is found again
        ...(ctx.batch && ctx.itemId ? { batch: { key: `${ctx.itemId}:${step.name}:${round}`, deadline: ctx.batch.deadline } } : {}),
      });
      const output = outcome.result.json;
      const answer: StepCheckpoint = {
        model: outcome.modelId,
        provider: outcome.providerId,
        costPico: outcome.costPico,
        emulated: outcome.result.emulated,
        output,
        attemptId: outcome.attemptId,
        premiumCostPico: outcome.premium?.costPico ?? null,
      };
      // Kept for a later attempt only once the call is booked: a reused step was paid for exactly once.
      bookings.push(checkpoints && output !== undefined ? outcome.settled.then(() => checkpoints.save(checkpointKey, answer)) : outcome.settled);
      if (output === undefined) {
        record(step, round, answer, outcome.settled);
        throw new PipelineOutputError(profile.key, [`step "${step.name}" returned no JSON`]);
      }
      return record(step, round, answer, outcome.settled);
    };

    // The assess step's score goes on the ledger row of the answer it judged, once that row is booked. Best effort:
    // the answer's booking already counts in `settled`; a score that cannot be written is logged, not an item failure.
    const scored = (judged: StepRun | undefined, score: number): void => {
      if (!judged?.attemptId) return;
      const attemptId = judged.attemptId;
      bookings.push(
        judged.booked
          .then(() => this.ledger.recordQuality(ctx.tenantId, attemptId, score))
          .then(
            (ok) => void (ok || this.logger.warn({ attemptId }, 'assessed call not in the ledger: quality not recorded')),
            (err: Error) => this.logger.warn({ attemptId, err: err.message }, 'quality not recorded'),
          ),
      );
    };

    try {
      return await this.runSteps(profile, ctx, gate, gated, scope, call, scored, () => ({ spent, counterfactual, emulated, steps, settled: settled() }));
    } catch (err) {
      // The answer is lost, but the calls made are still booked (or their failure logged by the executor).
      void settled().catch(() => undefined);
      throw err;
    }
  }

  private async runSteps(
    profile: ProfileDefinition,
    ctx: PipelineContext,
    gate: ProfileDefinition['qualityGate'],
    gated: GateSteps | null,
    scope: TemplateScope,
    call: (step: ProfileStep, round: number, complexity: Complexity) => Promise<StepRun>,
    scored: (judged: StepRun | undefined, score: number) => void,
    totals: () => { spent: PicoUsd; counterfactual: PicoUsd; emulated: boolean; steps: PipelineStepResult[]; settled: Promise<void> },
  ): Promise<PipelineResult> {
    let last: StepRun | undefined;
    let content: StepRun | undefined;
    let assessment: unknown;
    let quality: number | null = null;
    let rounds = 0;
    const finalName = finalStep(profile)?.name;

    for (const step of profile.steps) {
      // The refine step runs only when the gate asks for it, below.
      if (gated && step === gated.refine) continue;
      let run = await call(step, 0, step.complexity);
      if (gated && step === gated.content) content = run;
      if (gate && gated && step === gated.assess) {
        let score = this.score(profile, run.output, gate.scoreField);
        scored(content, score);
        while (score < gate.threshold && rounds < gate.maxRounds) {
          rounds++;
          const complexity = escalate(gated.refine.complexity, rounds);
          this.logger.debug({ profile: profile.key, itemId: ctx.itemId, score, round: rounds, complexity }, 'quality below threshold: refining');
          content = await call(gated.refine, rounds, complexity);
          // The refined version is the content from now on: the next assessment and refinement see it.
          scope.steps[gated.content.name] = content.output;
          run = await call(gated.assess, rounds, gated.assess.complexity);
          score = this.score(profile, run.output, gate.scoreField);
          scored(content, score);
        }
        quality = score;
        assessment = run.output;
      }
      if (step.name === finalName) last = run;
    }

    let output: unknown;
    let producer: StepRun | undefined;
    if (composesGatedOutput(profile) && gated && content) {
      output = composeGatedOutput(scope.steps[gated.content.name], assessment, rounds);
      producer = content;
    } else {
      output = last?.output;
      producer = last;
    }
    if (!producer) throw new PipelineOutputError(profile.key, ['the profile has no steps']);

    const problems = compileSchema(profile.outputSchema).problems(output);
    if (problems.length > 0) throw new PipelineOutputError(profile.key, problems);

    const { spent, counterfactual, emulated, steps, settled } = totals();
    return {
      output,
      costPico: spent,
      counterfactualPico: counterfactual,
      savedPico: counterfactual - spent,
      model: producer.modelId,
      provider: producer.providerId,
      quality,
      steps,
      emulated,
      settled,
    };
  }

  private score(profile: ProfileDefinition, assessment: unknown, field: string): number {
    const score = readScore(assessment, field);
    if (score === undefined) throw new PipelineOutputError(profile.key, [`the assessment has no numeric "${field}"`]);
    return score;
  }
}
