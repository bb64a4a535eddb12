import { Controller, Delete, Get, HttpCode, Param, Post, Req, Res, UseFilters, Body } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { ChatMessage } from '@margin/contracts';
import { DomainError } from '@margin/core';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { ContextLengthExceededError } from '../routing/execution.errors';
import { LlmExecutor, type ExecuteOutcome } from '../routing/llm-executor';
import {
  abortOnClose,
  beginSse,
  costComment,
  GatewaySupport,
  InvalidParamError,
  ResourceNotFoundError,
  setOutcomeHeaders,
  validateBody,
  wantsStreamCost,
} from './gateway-support';
import { OpenAiErrorFilter } from './openai-error.filter';
import { ResponseCreateRequest } from './responses.dto';
import { inputMessages, messageItem, outputSchemaOf, outputText, refuseUnsupported, responseObject, type ResponseIds } from './responses.mapping';
import { ResponsesStore } from './responses.store';

/** A prompt over every window is about `input` here (chat.completions says `messages`). */
function aboutInput(err: unknown): unknown {
  return err instanceof ContextLengthExceededError ? Object.assign(err, { param: 'input' }) : err;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(24).toString('hex')}`;

/** Marks a response whose stream ended in an error event (status 200 already sent): never stored as a success. */
export const FAILED_STREAM = 'marginStreamFailed';

/**
 * OpenAI's Responses API (`/v1/responses`): text in (a string or message items, plus `instructions`), text or
 * `text.format` JSON out, plain or streamed with the Responses event sequence, conversations continued with
 * `previous_response_id` (stored per tenant). Every call goes through the same router, limits, budget and
 * ledger as chat.completions. Tools are not supported yet (a 400 naming `tools`).
 */
@ApiTags('openai-compatible')
@ApiBearerAuth()
@UseFilters(OpenAiErrorFilter)
@Controller('v1/responses')
export class ResponsesController {
  constructor(
    private readonly executor: LlmExecutor,
    private readonly support: GatewaySupport,
    private readonly store: ResponsesStore,
  ) {}

  @Post()
  @HttpCode(200)
  @MinRole('member')
  @ApiOperation({ summary: 'OpenAI responses.create (plain or stream): `model` is a catalog model or margin/auto|fast|best' })
  @ApiBody({ type: ResponseCreateRequest })
  async create(@CurrentPrincipal() principal: Principal, @Body() raw: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const body = validateBody(ResponseCreateRequest, raw);
    refuseUnsupported(body);
    const input = inputMessages(body.input);
    const outputSchema = outputSchemaOf(body);
    let history: ChatMessage[] = [];
    if (body.previous_response_id) {
      const previous = await this.store.find(principal.tenantId, body.previous_response_id);
      if (!previous) {
        throw new InvalidParamError(
          'previous_response_id',
          `Previous response with id '${body.previous_response_id}' not found.`,
          'previous_response_not_found',
        );
      }
      history = previous.history;
    }
    const target = await this.support.resolveChatTarget(principal, body.model, req);
    const conversation = [...history, ...input];
    const messages: ChatMessage[] = body.instructions ? [{ role: 'system', content: body.instructions }, ...conversation] : conversation;
    const call = this.support.executeInput(principal, target, {
      messages,
      temperature: body.temperature,
      maxTokens: body.max_output_tokens,
      outputSchema,
      signal: abortOnClose(res),
    });
    const ids: ResponseIds = { id: newId('resp'), messageId: newId('msg'), createdAt: Math.floor(Date.now() / 1000) };
    const remember = async (response: Record<string, unknown>, outcome: ExecuteOutcome) => {
      if (body.store === false) return;
      await this.store.save(principal.tenantId, ids.id, { response, history: [...conversation, { role: 'assistant', content: outcome.result.text }] });
    };

    if (!body.stream) {
      const outcome = await this.executor.execute(call).catch((err: unknown) => {
        throw aboutInput(err);
      });
      const response = responseObject(body, ids, outcome.modelId, outcome.result);
      // stored before answering: a follow-up sent the moment this answer arrives finds it
      await remember(response, outcome);
      setOutcomeHeaders(res, outcome);
      res.json(response);
      await outcome.settled;
      return;
    }

    let sequence = 0;
    const send = (type: string, data: Record<string, unknown>) =>
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
    let started = false;
    const item = { item_id: ids.messageId, output_index: 0, content_index: 0 };
    const begin = (model: string) => {
      if (started) return;
      started = true;
      beginSse(res);
      const initial = responseObject(body, ids, model);
      send('response.created', { response: initial });
      send('response.in_progress', { response: initial });
      send('response.output_item.added', { output_index: 0, item: messageItem(ids, undefined, 'in_progress') });
      send('response.content_part.added', { ...item, part: outputText('') });
    };
    try {
      for await (const event of this.executor.stream(call)) {
        if (event.type === 'delta') {
          begin(body.model);
          send('response.output_text.delta', { ...item, delta: event.text, logprobs: [] });
          continue;
        }
        if (event.type !== 'done') continue; // tool-call pieces: no tools are offered on this route
        const { outcome } = event;
        if (!started) setOutcomeHeaders(res, outcome);
        begin(outcome.modelId);
        const final = responseObject(body, ids, outcome.modelId, outcome.result);
        await remember(final, outcome);
        send('response.output_text.done', { ...item, text: outcome.result.text, logprobs: [] });
        send('response.content_part.done', { ...item, part: outputText(outcome.result.text) });
        send('response.output_item.done', { output_index: 0, item: (final['output'] as unknown[])[0] });
        if (wantsStreamCost(req)) res.write(costComment(outcome));
        send(final['status'] === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final });
        res.end();
        await outcome.settled;
      }
    } catch (err) {
      if (!started) throw aboutInput(err);
      // Mid-stream the status is gone: say it the Responses way (an error event) and close.
      res.locals[FAILED_STREAM] = true;
      const domain = err instanceof DomainError ? err : undefined;
      send('error', { code: domain?.code ?? 'server_error', message: domain?.message ?? 'The answer was cut off', param: null });
      res.end();
    }
  }

  @Get(':id')
  @ApiOperation({ summary: 'A stored response of this tenant (30 days)' })
  @ApiParam({ name: 'id', example: 'resp_0123abcd' })
  async retrieve(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() res: Response): Promise<void> {
    const stored = await this.store.find(principal.tenantId, id);
    if (!stored) throw new ResourceNotFoundError(`No response with id '${id}' found.`);
    res.json(stored.response);
  }

  @Delete(':id')
  @MinRole('member')
  @ApiOperation({ summary: 'Deletes a stored response of this tenant' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() res: Response): Promise<void> {
    if (!(await this.store.remove(principal.tenantId, id))) throw new ResourceNotFoundError(`No response with id '${id}' found.`);
    res.json({ id, object: 'response', deleted: true });
  }
}
