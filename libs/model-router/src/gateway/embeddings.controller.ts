import { Body, Controller, HttpCode, Post, Res, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { picoToUsd } from '@margin/core';
import { CurrentPrincipal, MinRole, type Principal } from '@margin/identity';
import type { Response } from 'express';
import { abortOnClose, InvalidParamError, validateBody } from './gateway-support';
import { EmbeddingsService } from './embeddings.service';
import { OpenAiErrorFilter } from './openai-error.filter';
import { EmbeddingsRequest } from './responses.dto';

/** OpenAI's limit on inputs per request. */
export const MAX_EMBEDDING_INPUTS = 2048;

/** `input` as a list of non-empty strings (token arrays are refused: Margin's hosts do not share a tokenizer). */
export function embeddingInputs(input: unknown): string[] {
  const list = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(list) || list.length === 0) throw new InvalidParamError('input', 'input must be a non-empty string or a non-empty array of strings');
  if (list.length > MAX_EMBEDDING_INPUTS) throw new InvalidParamError('input', `input may hold at most ${MAX_EMBEDDING_INPUTS} strings, got ${list.length}`);
  return list.map((item, i) => {
    if (typeof item === 'string' && item.length > 0) return item;
    if (typeof item === 'number' || Array.isArray(item)) {
      throw new InvalidParamError(typeof item === 'number' ? 'input' : `input[${i}]`, 'token arrays are not supported: send the text', 'unsupported_value');
    }
    throw new InvalidParamError(`input[${i}]`, `input[${i}] must be a non-empty string`);
  });
}

/** A float vector as OpenAI's base64 encoding: the little-endian float32 bytes. */
export function toBase64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** OpenAI-compatible embeddings: routed to the named embedding model, rate-limited, budgeted and ledgered like chat. */
@ApiTags('openai-compatible')
@ApiBearerAuth()
@UseFilters(OpenAiErrorFilter)
@Controller('v1/embeddings')
export class EmbeddingsController {
  constructor(private readonly embeddings: EmbeddingsService) {}

  @Post()
  @HttpCode(200)
  @MinRole('member')
  @ApiOperation({ summary: 'OpenAI embeddings.create: `model` is an embedding model of the catalog (capability embeddings)' })
  @ApiBody({ type: EmbeddingsRequest })
  async create(@CurrentPrincipal() principal: Principal, @Body() raw: unknown, @Res() res: Response): Promise<void> {
    const body = validateBody(EmbeddingsRequest, raw);
    const input = embeddingInputs(body.input);
    const outcome = await this.embeddings.embed(principal, { model: body.model, input, dimensions: body.dimensions, signal: abortOnClose(res) });
    const { result } = outcome;
    res.setHeader('X-Margin-Model', outcome.model.id);
    res.setHeader('X-Margin-Provider', outcome.model.providerId);
    res.setHeader('X-Margin-Cost-Usd', picoToUsd(outcome.costPico).toFixed(6));
    // embeddings cost fractions of a micro-dollar: the exact figure, as booked
    res.setHeader('X-Margin-Cost-Pico', outcome.costPico.toString());
    res.setHeader('X-Margin-Emulated', String(result.emulated));
    res.json({
      object: 'list',
      data: result.embeddings.map((embedding, index) => ({
        object: 'embedding',
        index,
        embedding: body.encoding_format === 'base64' ? toBase64(embedding) : embedding,
      })),
      model: outcome.model.id,
      usage: { prompt_tokens: result.inputTokens, total_tokens: result.inputTokens },
    });
    await outcome.settled;
  }
}
