import { Body, Controller, Get, HttpCode, Logger, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { COMPLEXITIES, type Complexity, type ModelTier } from '@margin/contracts';
import { DomainError, picoToUsd } from '@margin/core';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import type { ChatResult, TokenUsage } from '@margin/providers';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { CatalogService } from '../catalog/catalog.service';
import { PlanForbidsModelsError } from '../routing/execution.errors';
import { LlmExecutor, type ExecuteInput, type ExecuteOutcome } from '../routing/llm-executor';
import { PlanTiersSource } from '../routing/plan-tiers';
import { ChatCompletionRequest } from './openai-gateway.dto';
import { choicesOf, FINISH, GatewayParamError, readMessages, readParams, refuseUnhonoured, wireChoice, wireLogprobs } from './chat-translation';
import { OpenAiErrorFilter } from './openai-error.filter';
import { costComment, InvalidParamError, wantsStreamCost } from './gateway-support';

class ModelNotFoundError extends DomainError {
  readonly code = 'model_not_found';
  readonly httpStatus = 404;
  constructor(model: string) {
    super(`The model "${model}" does not exist: GET /v1/models lists the routing aliases and catalog models`);
  }
}

/** Aliases that route by policy (operation `chat`) at a complexity. */
const ALIASES: Record<string, Complexity> = { 'margin/auto': 'medium', 'margin/fast': 'simple', 'margin/best': 'complex' };

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => (prefix ? `${prefix}.${m}` : m)),
    ...flatten(e.children ?? [], prefix ? `${prefix}.${e.property}` : e.property),
  ]);
}

/** The path of the first invalid field (e.g. `messages.0.role` → `messages[0].role`), OpenAI's `param`. */
function firstParam(errors: ValidationError[], prefix = ''): string | null {
  const e = errors[0];
  if (!e) return null;
  const path = /^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : prefix ? `${prefix}.${e.property}` : e.property;
  return e.constraints ? path : (firstParam(e.children ?? [], path) ?? path);
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
  };
}

/**
 * OpenAI-compatible endpoint: an OpenAI client pointed at Margin (base URL `<margin>/v1`, a Margin API key)
 * works unchanged, streaming included, and every call is routed, rate-limited, budgeted and ledgered.
 */
@ApiTags('openai-compatible')
@ApiBearerAuth()
@UseFilters(OpenAiErrorFilter)
@Controller('v1')
export class OpenAiGatewayController {
  private readonly logger = new Logger(OpenAiGatewayController.name);
  private planTiers: PlanTiersSource | null | undefined;

  constructor(
    private readonly executor: LlmExecutor,
    private readonly catalog: CatalogService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The tiers the caller's plan allows (from the module that owns plans; resolved once). */
  private async allowedTiers(tenantId: string): Promise<readonly ModelTier[] | undefined> {
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

  @Get('models')
  @ApiOperation({ summary: 'OpenAI-style model list: the routing aliases and every enabled catalog model' })
  models(): { object: 'list'; data: Array<{ id: string; object: 'model'; created: number; owned_by: string }> } {
    const created = Math.floor(Date.parse('2025-01-01T00:00:00Z') / 1000);
    return {
      object: 'list',
      data: [
        ...Object.keys(ALIASES).map((id) => ({ id, object: 'model' as const, created, owned_by: 'margin' })),
        ...this.catalog
          .allModels()
          .filter((m) => m.enabled)
          .map((m) => ({ id: m.id, object: 'model' as const, created, owned_by: m.providerId })),
      ],
    };
  }

  @Post('chat/completions')
  @HttpCode(200)
  // an LLM call spends money: viewers are read-only
  @MinRole('member')
  @ApiOperation({ summary: 'OpenAI chat.completions (plain or stream): `model` is a catalog model or margin/auto|fast|best' })
  @ApiBody({ type: ChatCompletionRequest })
  async chat(@CurrentPrincipal() principal: Principal, @Body() raw: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    refuseUnhonoured(raw);
    const body = plainToInstance(ChatCompletionRequest, raw ?? {});
    const errors = validateSync(body, { whitelist: true, forbidNonWhitelisted: false });
    const problems = flatten(errors);
    if (problems.length) throw new GatewayParamError(problems.join('; '), firstParam(errors) ?? 'body');

    const input = this.toInput(principal, body, req);
    input.allowedTiers = await this.allowedTiers(principal.tenantId);
    const pinned = input.models?.length ? this.catalog.model(input.models[0] as string) : undefined;
    if (pinned && input.allowedTiers && !input.allowedTiers.includes(pinned.tier)) {
      throw new PlanForbidsModelsError(`The tenant's plan allows only ${input.allowedTiers.join(', ')} models; ${pinned.id} is a ${pinned.tier} model`, []);
    }
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    input.signal = abort.signal;
    const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
    const created = Math.floor(Date.now() / 1000);

    const logprobsAsked = input.params?.logprobs === true;
    if (!body.stream) {
      const outcome = await this.executor.execute(input);
      const choices = choicesOf(outcome.result);
      let usage = outcome.result.usage;
      let costPico = outcome.costPico;
      const settled: Array<Promise<void>> = [outcome.settled];
      const wanted = input.params?.n ?? 1;
      if (choices.length < wanted) {
        // the model's provider has no `n`: one more call per missing choice, on the same model, each booked
        const more = await Promise.all(
          Array.from({ length: wanted - choices.length }, (_, i) =>
            this.executor.execute({
              ...input,
              models: [outcome.modelId],
              params: { ...input.params, n: undefined },
              attemptPrefix: `${input.attemptPrefix}:choice${i + 1}`,
            }),
          ),
        );
        for (const extra of more) {
          choices.push(choicesOf(extra.result)[0] as (typeof choices)[number]);
          usage = addUsage(usage, extra.result.usage);
          costPico += extra.costPico;
          settled.push(extra.settled);
        }
      }
      this.headers(res, { ...outcome, costPico });
      res.json({
        id,
        object: 'chat.completion',
        created,
        model: outcome.modelId,
        choices: choices.map((c, i) => wireChoice(c, i, logprobsAsked)),
        usage: this.usage({ ...outcome.result, usage }),
      });
      await Promise.all(settled);
      return;
    }

    const stream = this.executor.stream(input);
    let started = false;
    const chunk = (model: string, delta: Record<string, unknown>, finish: string | null, logprobs: Record<string, unknown> | null = null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs, finish_reason: finish }],
    });
    const begin = (model: string) => {
      if (started) return;
      started = true;
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache');
      res.flushHeaders();
      res.write(`data: ${JSON.stringify(chunk(model, { role: 'assistant', content: '' }, null))}\n\n`);
    };
    const requested = body.model;
    for await (const event of stream) {
      if (event.type === 'delta') {
        begin(requested);
        const logprobs = event.logprobs ? { content: wireLogprobs(event.logprobs), refusal: null } : null;
        res.write(`data: ${JSON.stringify(chunk(requested, { content: event.text }, null, logprobs))}\n\n`);
        continue;
      }
      if (event.type === 'tool_call') {
        begin(requested);
        const d = event.delta;
        const call = {
          index: d.index,
          ...(d.id ? { id: d.id, type: 'function' } : {}),
          function: { ...(d.name ? { name: d.name } : {}), arguments: d.arguments },
        };
        res.write(`data: ${JSON.stringify(chunk(requested, { tool_calls: [call] }, null))}\n\n`);
        continue;
      }
      const { outcome } = event;
      if (!started) this.headers(res, outcome);
      begin(outcome.modelId);
      res.write(`data: ${JSON.stringify(chunk(outcome.modelId, {}, FINISH[outcome.result.finishReason]))}\n\n`);
      if (body.stream_options?.include_usage) {
        res.write(
          `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: outcome.modelId, choices: [], usage: this.usage(outcome.result) })}\n\n`,
        );
      }
      // opt-in (X-Margin-Include-Cost: true): Margin's cost and model as an SSE comment, the figure the ledger books
      if (wantsStreamCost(req)) res.write(costComment(outcome));
      res.write('data: [DONE]\n\n');
      res.end();
      await outcome.settled;
    }
  }

  private toInput(principal: Principal, body: ChatCompletionRequest, req: Request): ExecuteInput {
    const complexityHeader = req.headers['x-margin-complexity'];
    const operationHeader = req.headers['x-margin-operation'];
    const operation = typeof operationHeader === 'string' && /^[a-z][a-z0-9_-]{0,49}$/.test(operationHeader) ? operationHeader : 'chat';
    let complexity: Complexity =
      typeof complexityHeader === 'string' && (COMPLEXITIES as readonly string[]).includes(complexityHeader) ? (complexityHeader as Complexity) : 'medium';
    let models: string[] | undefined;
    const alias = ALIASES[body.model];
    if (alias) complexity = typeof complexityHeader === 'string' && (COMPLEXITIES as readonly string[]).includes(complexityHeader) ? complexity : alias;
    else {
      const model = this.catalog.model(body.model) ?? this.catalog.allModels().find((m) => m.name === body.model && m.enabled);
      if (!model) throw new ModelNotFoundError(body.model);
      if (!model.capabilities.includes('chat'))
        throw new InvalidParamError('model', `${model.id} is not a chat model (capabilities: ${model.capabilities.join(', ')})`, 'model_not_supported');
      models = [model.id];
    }
    const messages = readMessages(body);
    const params = readParams(body);
    const format = body.response_format;
    const outputSchema =
      format?.type === 'json_schema' && format.json_schema?.schema
        ? { name: format.json_schema.name ?? 'response', schema: format.json_schema.schema }
        : format?.type === 'json_object'
          ? { name: 'response', schema: { type: 'object' } }
          : undefined;
    return {
      tenantId: principal.tenantId,
      userId: principal.userId,
      apiKeyId: principal.apiKeyId,
      operation,
      complexity,
      models,
      messages,
      temperature: body.temperature,
      maxTokens: body.max_completion_tokens ?? body.max_tokens,
      outputSchema,
      params,
      attemptPrefix: `gw:${randomUUID()}`,
      trace: { source: 'v1' },
      settleInBackground: true,
      maxWaitMs: 5_000,
      timeoutMs: 120_000,
    };
  }

  private headers(res: Response, outcome: ExecuteOutcome): void {
    res.setHeader('X-Margin-Model', outcome.modelId);
    res.setHeader('X-Margin-Provider', outcome.providerId);
    res.setHeader('X-Margin-Cost-Usd', picoToUsd(outcome.costPico).toFixed(6));
    res.setHeader('X-Margin-Emulated', String(outcome.result.emulated));
    if (outcome.fallbackFrom) res.setHeader('X-Margin-Fallback-From', outcome.fallbackFrom);
  }

  private usage(r: ChatResult) {
    return {
      prompt_tokens: r.usage.inputTokens,
      completion_tokens: r.usage.outputTokens,
      total_tokens: r.usage.inputTokens + r.usage.outputTokens,
      prompt_tokens_details: { cached_tokens: r.usage.cachedInputTokens },
      completion_tokens_details: { reasoning_tokens: r.usage.reasoningTokens },
    };
  }
}
