import { Injectable, Logger } from '@nestjs/common';
import type { JsonSchema, ModelTier, PlanIntake } from '@margin/contracts';
import { Clock } from '@margin/core';
import { LlmExecutor } from '@margin/model-router';
import { readByRules, type RuleReading } from './intake-rules';

/** What the intake model is asked for: every field always present ("" or 0 or [] when the sentence does not say). */
export const INTAKE_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    topic: { type: 'string', maxLength: 500 },
    audience: { type: 'string', maxLength: 300 },
    tone: { type: 'string', maxLength: 100 },
    keywords: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 100 }, maxItems: 8 },
    budgetUsd: { type: 'number', minimum: 0 },
    deadline: { type: 'string', maxLength: 40 },
  },
  required: ['topic', 'audience', 'tone', 'keywords', 'budgetUsd', 'deadline'],
  additionalProperties: false,
};

const SYSTEM = `You turn a request for content work into its parts. Extract only what the request says: the topic, the audience, the tone, up to eight search keywords, the budget in US dollars and the deadline (ISO 8601).
Use "" (or 0 for the budget, [] for keywords) for anything the request does not say. Never invent a budget or a deadline.`;

interface ModelReading {
  topic: string;
  audience: string;
  tone: string;
  keywords: string[];
  budgetUsd: number;
  deadline: string;
}

const words = (s: string) => s.toLowerCase().match(/[a-z0-9$.]+/g) ?? [];

/** A phrase the model gave is kept only when most of its words are in the sentence: paraphrase yes, invention no. */
export function grounded(phrase: string, sentence: string): boolean {
  const have = new Set(words(sentence));
  const own = words(phrase).filter((w) => w.length > 2);
  return own.length > 0 && own.filter((w) => have.has(w)).length / own.length >= 0.6;
}

/** The rules' reading completed by the model's, where the model's is grounded in the sentence. */
export function mergeReadings(sentence: string, rules: RuleReading, model: ModelReading | null): PlanIntake {
  const pick = (ruled: string | null, modelled: string | undefined) => ruled ?? (modelled && grounded(modelled, sentence) ? modelled.trim() : null);
  const topic = pick(rules.topic, model?.topic);
  const keywords = (model?.keywords ?? []).map((k) => k.trim()).filter((k) => k.length > 0 && grounded(k, sentence));
  return {
    profile: rules.profile,
    topic,
    audience: pick(rules.audience, model?.audience),
    tone: pick(rules.tone, model?.tone),
    keywords: keywords.length ? keywords.slice(0, 8) : (topic?.split(/\s+/).filter((w) => w.length > 2) ?? []).slice(0, 8),
    // figures only from the sentence itself
    budgetUsd: rules.budgetUsd,
    deadline: rules.deadline,
    endpointMentions: rules.mentions,
  };
}

/**
 * The `intake` operation: a request sentence read by rules (figures, targets) and by a model routed like any
 * other call (local by default; ledgered, budgeted), merged. Without a model to ask (an outage, a plan with no
 * tier for it) the rules' reading stands and the plan asks for the rest.
 */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);

  constructor(
    private readonly executor: LlmExecutor,
    private readonly clock: Clock,
  ) {}

  async read(
    ctx: { tenantId: string; userId: string | null; apiKeyId: string | null; planId: string; allowedTiers: readonly ModelTier[] },
    sentence: string,
    endpointNames: readonly string[],
  ): Promise<{ intake: PlanIntake; model: string | null }> {
    const rules = readByRules(sentence, this.clock.now(), endpointNames);
    let model: ModelReading | null = null;
    let modelId: string | null = null;
    try {
      const outcome = await this.executor.execute({
        tenantId: ctx.tenantId,
        userId: ctx.userId,
        apiKeyId: ctx.apiKeyId,
        operation: 'intake',
        complexity: 'simple',
        stepDown: true,
        messages: [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: `Request: ${sentence}` },
        ],
        maxTokens: 400,
        outputSchema: { name: 'intake', schema: INTAKE_SCHEMA },
        attemptPrefix: `plan:${ctx.planId}:intake`,
        allowedTiers: ctx.allowedTiers,
        timeoutMs: 30_000,
        maxWaitMs: 5_000,
        trace: { source: 'plan', record: true, step: 'intake', round: 0 },
      });
      model = (outcome.result.json as ModelReading | undefined) ?? null;
      modelId = outcome.modelId;
    } catch (err) {
      this.logger.warn({ tenantId: ctx.tenantId, planId: ctx.planId, err: (err as Error).message }, 'Intake model unavailable: the rules reading stands');
    }
    return { intake: mergeReadings(sentence, rules, model), model: modelId };
  }
}
