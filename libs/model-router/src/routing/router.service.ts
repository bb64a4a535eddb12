import { Injectable } from '@nestjs/common';
import type { Complexity, ModelTier, RouteCandidateView, RouteDecisionView } from '@margin/contracts';
import { Clock, picoToUsd, type PicoUsd } from '@margin/core';
import { ProviderRegistry, type LlmProvider, type ProviderFeature } from '@margin/providers';
import { createHash } from 'node:crypto';
import { CatalogService } from '../catalog/catalog.service';
import { costOf } from '../catalog/cost';
import type { ModelEntity } from '../catalog/model.entity';
import { CircuitBreakerService } from '../limits/circuit-breaker';
import { RoutingPolicyService } from '../policy/routing-policy.service';

export interface RouteContext {
  tenantId: string;
  operation: string;
  complexity: Complexity;
  inputTokens: number;
  maxTokens: number;
  /** The most a call may cost (the tightest remaining budget), or null for no limit. */
  budgetRemainingPico: PicoUsd | null;
  /** Explicit models (e.g. /v1 naming one) instead of the policy cell. */
  models?: string[];
  /** Stable key for the A/B split (e.g. an item id); random when absent. */
  abKey?: string;
  /** Tiers the tenant's plan allows (absent: all). */
  allowedTiers?: readonly ModelTier[];
  /** Catalog capabilities the call needs (e.g. `tools`): a model without one is skipped (`unsupported`). */
  capabilities?: readonly string[];
  /** Request fields the call uses: a model whose provider adapter cannot pass one on is skipped (`unsupported`). */
  features?: readonly ProviderFeature[];
}

export interface RouteCandidate {
  model: ModelEntity;
  provider: LlmProvider;
  /** Worst case: all input uncached, every allowed output token, GPU time at a slow pace. */
  estimatePico: PicoUsd;
  /** The circuit as read when planning: a healthy one needs no further check before the call. */
  circuit: { state: 'closed' | 'half-open'; failures: number };
}

export type SkipReason = RouteDecisionView['skipped'][number]['reason'];

export interface RoutePlan {
  candidates: RouteCandidate[];
  /** `retryAfterMs`: when a skipped candidate (open circuit) may take calls again. */
  skipped: Array<{ model: string; reason: SkipReason; detail: string; retryAfterMs?: number; /** `unsupported`: what was missing */ missing?: string }>;
  abTest: RouteDecisionView['abTest'];
}

/** The OpenAI request field each provider feature stands for (what a refusal names). */
export const FEATURE_PARAMS: Record<ProviderFeature, string> = {
  n: 'n',
  stop: 'stop',
  logprobs: 'logprobs',
  seed: 'seed',
  user: 'user',
  metadata: 'metadata',
  parallelToolCalls: 'parallel_tool_calls',
  serviceTier: 'service_tier',
};

/** Conservative generation pace for the GPU-time part of a local model's worst case. */
const WORST_CASE_TOKENS_PER_SECOND = 10;

function inAbShare(key: string, share: number): boolean {
  const h = createHash('sha256').update(key).digest().readUInt32BE(0);
  return h / 0x1_0000_0000 < share;
}

/**
 * Picks, for one call, the ordered candidates that can take it: the policy cell (tenant override or global,
 * with its A/B split), minus the models that are disabled, whose circuit is open, whose context window is
 * too small, or whose worst-case cost does not fit the remaining budget.
 */
@Injectable()
export class RouterService {
  constructor(
    private readonly policy: RoutingPolicyService,
    private readonly catalog: CatalogService,
    private readonly providers: ProviderRegistry,
    private readonly breaker: CircuitBreakerService,
    private readonly clock: Clock,
  ) {}

  estimate(model: ModelEntity, inputTokens: number, maxTokens: number): PicoUsd {
    const now = this.clock.now();
    const priced = this.catalog.priceAt(model.id, now);
    if (!priced) return 0n;
    const gpu =
      model.tier === 'local' && model.gpuUsdPerHour !== null
        ? { usdPerHour: model.gpuUsdPerHour, parallelSlots: model.parallelSlots, latencyMs: Math.ceil((maxTokens / WORST_CASE_TOKENS_PER_SECOND) * 1000) }
        : undefined;
    return costOf(priced, { inputTokens, cachedInputTokens: 0, outputTokens: maxTokens }, gpu).totalPico;
  }

  async plan(ctx: RouteContext): Promise<RoutePlan> {
    let ids: string[];
    let abTest: RoutePlan['abTest'] = null;
    if (ctx.models?.length) ids = ctx.models;
    else {
      const cell = this.policy.cell(ctx.tenantId, ctx.operation, ctx.complexity);
      ids = [...cell.candidates];
      if (cell.abTest && cell.abTest.share > 0) {
        const chosen = inAbShare(ctx.abKey ?? `${Math.random()}`, cell.abTest.share);
        abTest = { ...cell.abTest, challengerChosen: chosen };
        if (chosen) ids = [cell.abTest.challenger, ...ids.filter((id) => id !== cell.abTest?.challenger)];
      }
    }
    const states = await this.breaker.routingSnapshot(ids);
    const stateOf = new Map(states.map((s) => [s.key, s]));
    const plan: RoutePlan = { candidates: [], skipped: [], abTest };
    for (const id of ids) {
      const model = this.catalog.model(id);
      if (!model) {
        plan.skipped.push({ model: id, reason: 'unknown-model', detail: 'not in the catalog' });
        continue;
      }
      if (ctx.allowedTiers && !ctx.allowedTiers.includes(model.tier)) {
        plan.skipped.push({ model: id, reason: 'plan', detail: `the plan allows ${ctx.allowedTiers.join(', ')} models, this one is ${model.tier}` });
        continue;
      }
      const provider = this.providers.adapter(model.providerId);
      if (!model.enabled || !provider) {
        plan.skipped.push({
          model: id,
          reason: 'disabled',
          detail: !model.enabled ? 'model disabled' : `provider ${model.providerId} is disabled or not configured`,
        });
        continue;
      }
      const lacking = ctx.capabilities?.find((c) => !model.capabilities.includes(c));
      if (lacking) {
        plan.skipped.push({ model: id, reason: 'unsupported', detail: `the model has no ${lacking} capability in the catalog`, missing: lacking });
        continue;
      }
      const unpassable = ctx.features?.find((f) => !provider.supports?.has(f));
      if (unpassable) {
        plan.skipped.push({
          model: id,
          reason: 'unsupported',
          detail: `its provider (${provider.kind}) cannot take ${FEATURE_PARAMS[unpassable]}`,
          missing: unpassable,
        });
        continue;
      }
      const circuit = stateOf.get(id);
      if (circuit?.state === 'open') {
        plan.skipped.push({
          model: id,
          reason: 'circuit-open',
          detail: `circuit open after ${circuit.failures} failures; retry in ${Math.ceil((circuit.retryAfterMs ?? 0) / 1000)}s`,
          ...(circuit.retryAfterMs !== undefined ? { retryAfterMs: circuit.retryAfterMs } : {}),
        });
        continue;
      }
      if (ctx.inputTokens + ctx.maxTokens > model.contextWindow) {
        plan.skipped.push({ model: id, reason: 'context-window', detail: `needs ${ctx.inputTokens + ctx.maxTokens} tokens, window is ${model.contextWindow}` });
        continue;
      }
      const estimatePico = this.estimate(model, ctx.inputTokens, ctx.maxTokens);
      if (ctx.budgetRemainingPico !== null && estimatePico > 0n && estimatePico > ctx.budgetRemainingPico) {
        plan.skipped.push({
          model: id,
          reason: 'budget',
          detail: `worst case $${picoToUsd(estimatePico)} exceeds the remaining $${picoToUsd(ctx.budgetRemainingPico)}`,
        });
        continue;
      }
      plan.candidates.push({
        model,
        provider,
        estimatePico,
        circuit: { state: circuit?.state === 'half-open' ? 'half-open' : 'closed', failures: circuit?.failures ?? 0 },
      });
    }
    return plan;
  }

  async explain(ctx: RouteContext): Promise<RouteDecisionView> {
    const plan = await this.plan(ctx);
    const view = (c: RouteCandidate): RouteCandidateView => ({
      model: c.model.id,
      provider: c.model.providerId,
      tier: c.model.tier,
      estimatedCostUsd: picoToUsd(c.estimatePico),
    });
    const chosen = plan.candidates[0];
    const reason = chosen
      ? `${ctx.operation}/${ctx.complexity} → ${chosen.model.id} (${chosen.model.tier})` +
        (plan.skipped.length ? `, after skipping ${plan.skipped.map((s) => `${s.model} (${s.reason})`).join(', ')}` : '') +
        (plan.abTest?.challengerChosen ? ' [A/B challenger]' : '')
      : `no candidate can take this call: ${plan.skipped.map((s) => `${s.model} (${s.reason}: ${s.detail})`).join('; ')}`;
    return {
      operation: ctx.operation,
      complexity: ctx.complexity,
      chosen: chosen ? view(chosen) : null,
      candidates: plan.candidates.map(view),
      skipped: plan.skipped.map(({ model, reason, detail }) => ({ model, reason, detail })),
      abTest: plan.abTest,
      reason,
    };
  }
}
