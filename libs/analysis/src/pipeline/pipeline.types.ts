// The contract between the jobs side (which items to run, when, with what budget) and the pipeline side
// (how one item's input becomes its output through a profile's steps).
import type { CacheScope, Complexity, JsonSchema, ModelTier } from '@margin/contracts';
import type { PicoUsd } from '@margin/core';

export interface ProfileStep {
  /** Unique within the profile; later templates refer to `steps.<name>`. */
  name: string;
  operation: string;
  complexity: Complexity;
  /** Optional system prompt template. */
  system?: string;
  /** Prompt template over `input.*` and earlier `steps.<name>.*` (mustache-like `{{path}}`). */
  prompt: string;
  outputSchema: JsonSchema;
  maxTokens?: number;
}

/** Below `threshold` on the assess step's score, the refine step runs one tier up, then assess again, at most `maxRounds` times. */
export interface QualityGate {
  assessStep: string;
  refineStep: string;
  /** Path in the assess step's output, e.g. `overall`. */
  scoreField: string;
  threshold: number;
  maxRounds: number;
}

export interface ProfileDefinition {
  key: string;
  version: number;
  name: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  steps: ProfileStep[];
  cacheScope: CacheScope;
  qualityGate?: QualityGate;
  /** A named instant pass (see INSTANT_PASSES) that answers `mode: "instant"` provisionally while the full analysis runs. */
  instantPass?: string;
  builtIn: boolean;
  /** Tenant profiles belong to one tenant; built-ins to everyone. */
  tenantId: string | null;
}

export interface PipelineContext {
  tenantId: string;
  userId?: string | null;
  apiKeyId?: string | null;
  jobId?: string | null;
  itemId?: string | null;
  /** The job's own budget remaining, when it has one. */
  jobBudgetPico?: PicoUsd | null;
  /** Stable per (item, delivery attempt): ledger attempt ids derive from it, so a replay books nothing twice. */
  attemptKey: string;
  /** Model tiers the tenant's plan allows (free: local only). */
  allowedTiers?: ModelTier[];
  signal?: AbortSignal;
  /**
   * Return each step's answer before its call is booked (ledger, budget), freeing the model's concurrency slot
   * at once; `PipelineResult.settled` then says when every call is booked. Default: booked before returning.
   */
  settleInBackground?: boolean;
  /** Awaited before each call is sent, once its limits and budget are held; throwing sends nothing (see ExecuteInput). */
  beforeDispatch?: () => Promise<void> | void;
  /** Run every step on these models (in order) instead of the policy's (eval runs). */
  models?: string[];
  /** Run these steps (by name) on the given model (a plan's pinned choices); the others as the policy says. */
  stepModels?: Record<string, string> | null;
  /** Where the run comes from, for the training examples its calls make (default `job`). */
  source?: 'job' | 'analyze' | 'eval';
  /** False: the calls leave no training examples (eval runs). Default true. */
  recordExamples?: boolean;
  /** Steps answered (and booked) in an earlier attempt of this item, reused instead of called again (multi-step profiles). */
  checkpoints?: StepCheckpoints;
  /**
   * The job may use the providers' batch tier (docs/batch-tier.md): eligible step calls are queued for a batch
   * and the run throws DeferredToBatchError until their answers land. `deadline` null: deferrable, no deadline.
   */
  batch?: { deadline: Date | null };
}

/** One step's answer from an earlier attempt; its call is in the ledger already. */
export interface StepCheckpoint {
  output: unknown;
  model: string;
  provider: string;
  costPico: PicoUsd;
  emulated: boolean;
  /** The ledger attempt id of the answer (absent in checkpoints from before it was kept). */
  attemptId?: string;
  /** What the savings counterfactual would have cost for it (null: none; absent: not known). */
  premiumCostPico?: PicoUsd | null;
}

export interface StepCheckpoints {
  /** Answers by `<step name>:<round>`. */
  load(): Promise<Map<string, StepCheckpoint>>;
  /** Best effort: a checkpoint that is not saved only means the step runs again. */
  save(step: string, checkpoint: StepCheckpoint): Promise<void>;
}

export interface PipelineStepResult {
  name: string;
  operation: string;
  model: string;
  provider: string;
  costPico: PicoUsd;
  /** Refinement round (0 for the first pass). */
  round: number;
}

export interface PipelineResult {
  /** Valid against the profile's outputSchema. */
  output: unknown;
  costPico: PicoUsd;
  /** The model that produced the final answer. */
  model: string;
  provider: string;
  /** The quality gate's final score, when the profile has one. */
  quality: number | null;
  /**
   * What the run's answered calls would have cost on the savings counterfactual (each call's premium cost, or
   * its own cost when it has no counterfactual or cost more): what serving this result from the cache saves.
   */
  counterfactualPico: PicoUsd;
  /** What routing saved on this run: counterfactualPico − costPico (as the ledger's routing savings, per call). */
  savedPico: PicoUsd;
  steps: PipelineStepResult[];
  emulated: boolean;
  /** Resolves when every call of the run is booked; rejects when one could not be (already settled unless `settleInBackground`). */
  settled: Promise<void>;
}
