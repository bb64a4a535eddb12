// What the /v1 endpoints beyond chat.completions share: resolving `model` (a routing alias or a catalog
// model), the plan's tiers, request validation with OpenAI's `param`, and the stream-cost opt-in.
import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { COMPLEXITIES, type ChatMessage, type Complexity, type JsonSchema, type ModelTier } from '@margin/contracts';
import { DomainError, picoToDecimal, picoToUsd } from '@margin/core';
import type { Principal } from '@margin/identity';
import type { ChatResult, FinishReason } from '@margin/providers';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { CatalogService } from '../catalog/catalog.service';
import type { ModelEntity } from '../catalog/model.entity';
import { PlanForbidsModelsError } from '../routing/execution.errors';
import type { ExecuteInput, ExecuteOutcome } from '../routing/llm-executor';
import { PlanTiersSource } from '../routing/plan-tiers';

/** Aliases that route by policy (operation `chat`) at a complexity (the same as chat.completions'). */
export const GATEWAY_ALIASES: Readonly<Record<string, Complexity>> = { 'margin/auto': 'medium', 'margin/fast': 'simple', 'margin/best': 'complex' };

export const GATEWAY_FINISH: Readonly<Record<FinishReason, string>> = {
  stop: 'stop',
  length: 'length',
  tool_use: 'stop',
  content_filter: 'content_filter',
  other: 'stop',
};

/** The `created` every model object carries (the catalog has no per-model date). */
export const MODEL_CREATED = Math.floor(Date.parse('2025-01-01T00:00:00Z') / 1000);

/** A 400 about one request field: OpenAI's `param` names it. */
export class InvalidParamError extends DomainError {
  readonly code: string;
  readonly httpStatus = 400;
  constructor(
    readonly param: string,
    message: string,
    code = 'invalid_value',
  ) {
    super(message);
    this.code = code;
  }
}

export class UnknownModelError extends DomainError {
  readonly code = 'model_not_found';
  readonly httpStatus = 404;
  readonly param = 'model';
  constructor(model: string) {
    super(`The model "${model}" does not exist: GET /v1/models lists the routing aliases and catalog models`);
  }
}

/** An OpenAI resource (a stored response) that is not there for this tenant. */
export class ResourceNotFoundError extends DomainError {
  readonly code = 'not_found';
  readonly httpStatus = 404;
}

function flatten(errors: ValidationError[], prefix = ''): Array<{ param: string; message: string }> {
  return errors.flatMap((e) => {
    const param = prefix ? `${prefix}.${e.property}` : e.property;
    return [...Object.values(e.constraints ?? {}).map((m) => ({ param, message: prefix ? `${prefix}.${m}` : m })), ...flatten(e.children ?? [], param)];
  });
}

/** The body as the DTO, or a 400 naming the first bad field (every problem in the message). */
export function validateBody<T extends object>(cls: ClassConstructor<T>, raw: unknown): T {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw)))
    throw new InvalidParamError('body', 'The request body must be a JSON object');
  const body = plainToInstance(cls, raw ?? {});
  const problems = flatten(validateSync(body, { whitelist: true, forbidNonWhitelisted: false }));
  if (problems.length) throw new InvalidParamError(problems[0]?.param ?? 'body', problems.map((p) => p.message).join('; '));
  return body;
}

/** `X-Margin-Include-Cost: true`: the caller wants Margin's cost at the end of a stream. */
export function wantsStreamCost(req: Request): boolean {
  const h = req.headers['x-margin-include-cost'];
  return typeof h === 'string' && /^(true|1|yes)$/i.test(h.trim());
}

/** Margin's cost of the call, as the stream's last word and the `X-Margin-Cost-Usd` header give it (same figure as the ledger). */
export function costOf(outcome: Pick<ExecuteOutcome, 'costPico' | 'modelId'>): { model: string; cost_usd: string; cost_pico: string } {
  return { model: outcome.modelId, cost_usd: picoToDecimal(outcome.costPico), cost_pico: outcome.costPico.toString() };
}

/** The SSE comment with the cost: ignored by every SSE parser that does not look for it. */
export function costComment(outcome: Pick<ExecuteOutcome, 'costPico' | 'modelId'>): string {
  return `: margin-cost ${JSON.stringify(costOf(outcome))}\n\n`;
}

export function setOutcomeHeaders(res: Response, outcome: ExecuteOutcome): void {
  res.setHeader('X-Margin-Model', outcome.modelId);
  res.setHeader('X-Margin-Provider', outcome.providerId);
  res.setHeader('X-Margin-Cost-Usd', picoToUsd(outcome.costPico).toFixed(6));
  res.setHeader('X-Margin-Emulated', String(outcome.result.emulated));
  if (outcome.fallbackFrom) res.setHeader('X-Margin-Fallback-From', outcome.fallbackFrom);
}

export function beginSse(res: Response): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.flushHeaders();
}

/** An AbortSignal that fires when the client goes away before the answer is complete. */
export function abortOnClose(res: Response): AbortSignal {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  return abort.signal;
}

export function chatUsage(r: ChatResult) {
  return {
    prompt_tokens: r.usage.inputTokens,
    completion_tokens: r.usage.outputTokens,
    total_tokens: r.usage.inputTokens + r.usage.outputTokens,
    prompt_tokens_details: { cached_tokens: r.usage.cachedInputTokens },
    completion_tokens_details: { reasoning_tokens: r.usage.reasoningTokens },
  };
}

export interface ResolvedTarget {
  /** Explicit models (a catalog model was named), or undefined (an alias: the policy decides). */
  models?: string[];
  complexity: Complexity;
  operation: string;
  allowedTiers?: readonly ModelTier[];
}

@Injectable()
export class GatewaySupport {
  private readonly logger = new Logger(GatewaySupport.name);
  private planTiers: PlanTiersSource | null | undefined;

  constructor(
    private readonly catalog: CatalogService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** A catalog model by id or provider name (enabled ones only for the name), or undefined. */
  findModel(name: string): ModelEntity | undefined {
    return this.catalog.model(name) ?? this.catalog.allModels().find((m) => m.name === name && m.enabled);
  }

  /** The tiers the caller's plan allows (from the module that owns plans; resolved once). */
  async allowedTiers(tenantId: string): Promise<readonly ModelTier[] | undefined> {
    if (this.planTiers === undefined) {
      try {
        this.planTiers = this.moduleRef.get(PlanTiersSource, { strict: false });
      } catch {
        this.planTiers = null;
        this.logger.warn('No plan source is registered: /v1 calls are not limited by plan');
      }
    }
    return this.planTiers ? this.planTiers.allowedTiers(tenantId) : undefined;
  }

  /** 403 when the plan rules out the model's tier. */
  assertPlanAllows(model: ModelEntity, allowedTiers: readonly ModelTier[] | undefined): void {
    if (allowedTiers && !allowedTiers.includes(model.tier)) {
      throw new PlanForbidsModelsError(`The tenant's plan allows only ${allowedTiers.join(', ')} models; ${model.id} is a ${model.tier} model`, []);
    }
  }

  /** The executor's input for a /v1 text call (booked in the background, after the answer is sent). */
  executeInput(
    principal: Principal,
    target: ResolvedTarget,
    call: { messages: ChatMessage[]; temperature?: number; maxTokens?: number; outputSchema?: { name: string; schema: JsonSchema }; signal: AbortSignal },
  ): ExecuteInput {
    return {
      tenantId: principal.tenantId,
      userId: principal.userId,
      apiKeyId: principal.apiKeyId,
      operation: target.operation,
      complexity: target.complexity,
      models: target.models,
      allowedTiers: target.allowedTiers,
      messages: call.messages,
      temperature: call.temperature,
      maxTokens: call.maxTokens,
      outputSchema: call.outputSchema,
      signal: call.signal,
      attemptPrefix: `gw:${randomUUID()}`,
      trace: { source: 'v1' },
      settleInBackground: true,
      maxWaitMs: 5_000,
      timeoutMs: 120_000,
    };
  }

  /** Where a text-generation call goes: an alias (policy, complexity) or a chat-capable catalog model. */
  async resolveChatTarget(principal: Principal, model: string, req: Request): Promise<ResolvedTarget> {
    const complexityHeader = req.headers['x-margin-complexity'];
    const operationHeader = req.headers['x-margin-operation'];
    const operation = typeof operationHeader === 'string' && /^[a-z][a-z0-9_-]{0,49}$/.test(operationHeader) ? operationHeader : 'chat';
    const headerComplexity =
      typeof complexityHeader === 'string' && (COMPLEXITIES as readonly string[]).includes(complexityHeader) ? (complexityHeader as Complexity) : undefined;
    const allowedTiers = await this.allowedTiers(principal.tenantId);
    const alias = GATEWAY_ALIASES[model];
    if (alias) return { complexity: headerComplexity ?? alias, operation, allowedTiers };
    const entry = this.findModel(model);
    if (!entry) throw new UnknownModelError(model);
    if (!entry.capabilities.includes('chat')) {
      throw new InvalidParamError(
        'model',
        `${entry.id} is not a text-generation model (capabilities: ${entry.capabilities.join(', ') || 'none'})`,
        'model_not_supported',
      );
    }
    this.assertPlanAllows(entry, allowedTiers);
    return { models: [entry.id], complexity: headerComplexity ?? 'medium', operation, allowedTiers };
  }
}
