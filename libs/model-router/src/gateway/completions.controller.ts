import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { LlmExecutor } from '../routing/llm-executor';
import {
  abortOnClose,
  beginSse,
  chatUsage,
  costComment,
  GATEWAY_ALIASES,
  GATEWAY_FINISH,
  GatewaySupport,
  InvalidParamError,
  MODEL_CREATED,
  setOutcomeHeaders,
  UnknownModelError,
  validateBody,
  wantsStreamCost,
} from './gateway-support';
import { OpenAiErrorFilter } from './openai-error.filter';
import { CompletionRequest } from './responses.dto';

/** The legacy prompt: a string, or an array holding exactly one string. */
export function completionPrompt(body: CompletionRequest): string {
  const p = body.prompt;
  if (typeof p === 'string' && p.length > 0) return p;
  if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string' && p[0].length > 0) return p[0];
  if (Array.isArray(p) && p.length > 1)
    throw new InvalidParamError(
      'prompt',
      'prompt may hold one string only (batched prompts are not supported): send one request per prompt',
      'unsupported_value',
    );
  throw new InvalidParamError('prompt', 'prompt must be a non-empty string');
}

/** Legacy parameters Margin cannot honour: a 400 naming them rather than an answer that ignored them. */
export function refuseLegacy(body: CompletionRequest): void {
  if (body.n !== undefined && body.n !== 1) throw new InvalidParamError('n', 'n must be 1', 'unsupported_value');
  if (body.best_of !== undefined && body.best_of !== 1) throw new InvalidParamError('best_of', 'best_of must be 1', 'unsupported_value');
  if (body.echo === true) throw new InvalidParamError('echo', 'echo is not supported', 'unsupported_parameter');
  if (body.logprobs !== undefined && body.logprobs !== null && body.logprobs !== 0)
    throw new InvalidParamError('logprobs', 'logprobs are not supported', 'unsupported_parameter');
  if (body.suffix !== undefined && body.suffix !== null) throw new InvalidParamError('suffix', 'suffix (insertion) is not supported', 'unsupported_parameter');
  if (body.stop !== undefined && body.stop !== null)
    throw new InvalidParamError('stop', 'stop sequences are not supported on /v1/completions', 'unsupported_parameter');
}

/**
 * The legacy `/v1/completions` (a prompt in, text out), mapped to a chat call with the prompt as the user
 * message; and `GET /v1/models/{id}`.
 */
@ApiTags('openai-compatible')
@ApiBearerAuth()
@UseFilters(OpenAiErrorFilter)
@Controller('v1')
export class CompletionsController {
  constructor(
    private readonly executor: LlmExecutor,
    private readonly support: GatewaySupport,
  ) {}

  @Get('models/*id')
  @ApiOperation({ summary: 'One model (a routing alias or a catalog model; ids hold a slash, sent as is or URL-encoded)' })
  @ApiParam({ name: 'id', example: 'openai/gpt-4o-mini' })
  model(@Param('id') raw: string | string[], @Res() res: Response): void {
    const id = Array.isArray(raw) ? raw.join('/') : raw;
    if (GATEWAY_ALIASES[id]) {
      res.json({ id, object: 'model', created: MODEL_CREATED, owned_by: 'margin' });
      return;
    }
    const entry = this.support.findModel(id);
    if (!entry || !entry.enabled) throw new UnknownModelError(id);
    res.json({ id: entry.id, object: 'model', created: MODEL_CREATED, owned_by: entry.providerId });
  }

  @Post('completions')
  @HttpCode(200)
  @MinRole('member')
  @ApiOperation({ summary: 'OpenAI legacy completions (plain or stream), answered by a chat model' })
  @ApiBody({ type: CompletionRequest })
  async create(@CurrentPrincipal() principal: Principal, @Body() raw: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const body = validateBody(CompletionRequest, raw);
    refuseLegacy(body);
    const prompt = completionPrompt(body);
    const target = await this.support.resolveChatTarget(principal, body.model, req);
    const call = this.support.executeInput(principal, target, {
      messages: [{ role: 'user', content: prompt }],
      temperature: body.temperature,
      // the legacy API's default answer length
      maxTokens: body.max_tokens ?? 16,
      signal: abortOnClose(res),
    });
    const id = `cmpl-${randomBytes(14).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = (u: ReturnType<typeof chatUsage>) => ({
      prompt_tokens: u.prompt_tokens,
      completion_tokens: u.completion_tokens,
      total_tokens: u.total_tokens,
    });
    if (!body.stream) {
      const outcome = await this.executor.execute(call);
      setOutcomeHeaders(res, outcome);
      res.json({
        id,
        object: 'text_completion',
        created,
        model: outcome.modelId,
        choices: [{ text: outcome.result.text, index: 0, logprobs: null, finish_reason: GATEWAY_FINISH[outcome.result.finishReason] }],
        usage: usage(chatUsage(outcome.result)),
      });
      await outcome.settled;
      return;
    }
    let started = false;
    const chunk = (model: string, text: string, finish: string | null) =>
      `data: ${JSON.stringify({ id, object: 'text_completion', created, model, choices: [{ text, index: 0, logprobs: null, finish_reason: finish }] })}\n\n`;
    for await (const event of this.executor.stream(call)) {
      if (event.type === 'delta') {
        if (!started) beginSse(res);
        started = true;
        res.write(chunk(body.model, event.text, null));
        continue;
      }
      if (event.type !== 'done') continue; // tool-call pieces: no tools are offered on this route
      const { outcome } = event;
      if (!started) {
        setOutcomeHeaders(res, outcome);
        beginSse(res);
        started = true;
      }
      res.write(chunk(outcome.modelId, '', GATEWAY_FINISH[outcome.result.finishReason]));
      if (body.stream_options?.include_usage) {
        res.write(
          `data: ${JSON.stringify({ id, object: 'text_completion', created, model: outcome.modelId, choices: [], usage: usage(chatUsage(outcome.result)) })}\n\n`,
        );
      }
      if (wantsStreamCost(req)) res.write(costComment(outcome));
      res.write('data: [DONE]\n\n');
      res.end();
      await outcome.settled;
    }
  }
}
