// OpenAI chat.completions ⇄ Margin's call: the request's messages, tools and optional fields read (and
// checked) into what the executor takes, and a ChatResult written back as OpenAI's choices.
import { DomainError } from '@margin/core';
import type { ChatChoice, ChatResult, FinishReason, LlmMessage, TokenLogprob, ToolCall, ToolChoice } from '@margin/providers';
import type { CallParams } from '../routing/llm-executor';
import type { ChatCompletionRequest, GatewayMessage } from './openai-gateway.dto';

/** A request field Margin cannot take as given: 400 naming it (OpenAI's `param`). */
export class GatewayParamError extends DomainError {
  readonly httpStatus = 400;
  constructor(
    message: string,
    readonly param: string,
    readonly code = 'invalid_value',
  ) {
    super(message);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Documented chat.completions fields Margin does not honour: refused unless they hold their default value
 * (what a client that merely spells the defaults out sends), never dropped silently.
 */
const UNHONOURED: ReadonlyArray<[field: string, isDefault: (v: unknown) => boolean]> = [
  ['top_p', (v) => v === 1],
  ['frequency_penalty', (v) => v === 0],
  ['presence_penalty', (v) => v === 0],
  ['logit_bias', (v) => isRecord(v) && Object.keys(v).length === 0],
  ['functions', (v) => Array.isArray(v) && v.length === 0],
  ['function_call', () => false],
  ['audio', () => false],
  ['modalities', (v) => Array.isArray(v) && v.length === 1 && v[0] === 'text'],
  ['prediction', () => false],
  ['web_search_options', () => false],
  ['reasoning_effort', () => false],
  ['verbosity', () => false],
  ['store', (v) => v === false],
];

/** The first documented field the request sets that Margin cannot honour. */
export function refuseUnhonoured(raw: unknown): void {
  if (!isRecord(raw)) return;
  for (const [field, isDefault] of UNHONOURED) {
    const value = raw[field];
    if (value === undefined || value === null || isDefault(value)) continue;
    throw new GatewayParamError(
      `Margin's /v1 does not support '${field}'${field === 'functions' || field === 'function_call' ? ": use 'tools' and 'tool_choice'" : ''}; leave it out`,
      field,
      'unsupported_parameter',
    );
  }
}

function text(content: GatewayMessage['content'], where: string): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p, i) => {
        if (!isRecord(p) || (p.type !== 'text' && p.type !== 'refusal')) {
          throw new GatewayParamError(`${where}.content[${i}] must be a text part (Margin's /v1 takes text only)`, `${where}.content`);
        }
        const part = p as Record<string, unknown>;
        return typeof part['text'] === 'string' ? part['text'] : typeof part['refusal'] === 'string' ? part['refusal'] : '';
      })
      .join('');
  }
  throw new GatewayParamError(`${where}.content must be a string or an array of text parts`, `${where}.content`);
}

/** The conversation, tool turns included. */
export function readMessages(body: ChatCompletionRequest): LlmMessage[] {
  return body.messages.map((m, i): LlmMessage => {
    const where = `messages[${i}]`;
    if (m.role === 'tool') {
      if (!m.tool_call_id)
        throw new GatewayParamError(`${where}.tool_call_id is required on a tool message`, `${where}.tool_call_id`, 'missing_required_parameter');
      return { role: 'tool', content: text(m.content ?? '', where), toolCallId: m.tool_call_id, ...(m.name ? { name: m.name } : {}) };
    }
    if (m.tool_calls?.length && m.role !== 'assistant')
      throw new GatewayParamError(`${where}.tool_calls is only allowed on assistant messages`, `${where}.tool_calls`);
    if (m.role === 'assistant' && m.tool_calls?.length) {
      const toolCalls: ToolCall[] = m.tool_calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
      return { role: 'assistant', content: m.content == null ? '' : text(m.content, where), toolCalls };
    }
    if (m.content == null) throw new GatewayParamError(`${where}.content is required`, `${where}.content`, 'missing_required_parameter');
    return { role: m.role === 'developer' ? 'system' : m.role, content: text(m.content, where) };
  });
}

function toolChoiceOf(raw: unknown, names: readonly string[]): ToolChoice | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (names.length === 0) throw new GatewayParamError("'tool_choice' is only allowed when 'tools' are specified", 'tool_choice');
  if (raw === 'auto' || raw === 'none' || raw === 'required') return raw;
  if (isRecord(raw) && raw['type'] === 'function' && isRecord(raw['function']) && typeof raw['function']['name'] === 'string') {
    const name = raw['function']['name'];
    if (!names.includes(name)) throw new GatewayParamError(`'tool_choice' names the function '${name}', which is not among 'tools'`, 'tool_choice');
    return { name };
  }
  throw new GatewayParamError(`'tool_choice' must be "auto", "none", "required" or {"type": "function", "function": {"name": ...}}`, 'tool_choice');
}

function stopOf(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length > 4 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new GatewayParamError("'stop' must be a non-empty string or an array of up to 4 non-empty strings", 'stop');
  }
  return list.length > 0 ? (list as string[]) : undefined;
}

function metadataOf(raw: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  const entries = Object.entries(raw);
  if (entries.length > 16 || entries.some(([k, v]) => k.length > 64 || typeof v !== 'string' || v.length > 512)) {
    throw new GatewayParamError("'metadata' takes up to 16 keys of at most 64 characters, each with a string value of at most 512", 'metadata');
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Tools and the optional fields, checked the way OpenAI checks them. */
export function readParams(body: ChatCompletionRequest): CallParams {
  const tools = (body.tools ?? []).map((t) => ({
    name: t.function.name,
    ...(t.function.description !== undefined ? { description: t.function.description } : {}),
    parameters: t.function.parameters ?? { type: 'object', properties: {} },
    ...(t.function.strict !== undefined ? { strict: t.function.strict } : {}),
  }));
  const names = tools.map((t) => t.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new GatewayParamError(`'tools' has two functions named '${duplicate}'`, 'tools');
  const toolChoice = toolChoiceOf(body.tool_choice, names);
  if (body.parallel_tool_calls !== undefined && tools.length === 0) {
    throw new GatewayParamError("'parallel_tool_calls' is only allowed when 'tools' are specified", 'parallel_tool_calls');
  }
  if (body.top_logprobs !== undefined && !body.logprobs) throw new GatewayParamError("'top_logprobs' needs 'logprobs': true", 'top_logprobs');
  if ((body.n ?? 1) > 1 && body.stream) throw new GatewayParamError("'n' greater than 1 cannot be streamed: leave out 'stream' or 'n'", 'n');
  const params: CallParams = {};
  if (tools.length > 0) params.tools = tools;
  if (toolChoice !== undefined) params.toolChoice = toolChoice;
  if (body.parallel_tool_calls !== undefined) params.parallelToolCalls = body.parallel_tool_calls;
  if (body.n !== undefined && body.n > 1) params.n = body.n;
  const stop = stopOf(body.stop);
  if (stop) params.stop = stop;
  if (body.logprobs) {
    params.logprobs = true;
    if (body.top_logprobs !== undefined) params.topLogprobs = body.top_logprobs;
  }
  if (body.seed !== undefined) params.seed = body.seed;
  if (body.user !== undefined) params.user = body.user;
  const metadata = metadataOf(body.metadata);
  if (metadata) params.metadata = metadata;
  if (body.service_tier !== undefined) params.serviceTier = body.service_tier;
  return params;
}

export const FINISH: Record<FinishReason, string> = { stop: 'stop', length: 'length', tool_use: 'tool_calls', content_filter: 'content_filter', other: 'stop' };

export function wireLogprobs(logprobs: readonly TokenLogprob[]): Array<Record<string, unknown>> {
  return logprobs.map((t) => ({
    token: t.token,
    logprob: t.logprob,
    bytes: t.bytes,
    top_logprobs: t.topLogprobs.map((a) => ({ token: a.token, logprob: a.logprob, bytes: a.bytes })),
  }));
}

export function wireToolCalls(calls: readonly ToolCall[]): Array<Record<string, unknown>> {
  return calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
}

/** The answers of a result (one unless the provider answered `n` itself). */
export function choicesOf(result: ChatResult): ChatChoice[] {
  if (result.choices?.length) return result.choices;
  return [
    {
      text: result.text,
      finishReason: result.finishReason,
      ...(result.toolCalls ? { toolCalls: result.toolCalls } : {}),
      ...(result.logprobs ? { logprobs: result.logprobs } : {}),
    },
  ];
}

/** One OpenAI `choices[]` entry. */
export function wireChoice(choice: ChatChoice, index: number, logprobsAsked: boolean): Record<string, unknown> {
  const calls = choice.toolCalls?.length ? choice.toolCalls : undefined;
  return {
    index,
    message: {
      role: 'assistant',
      content: calls && choice.text === '' ? null : choice.text,
      refusal: null,
      ...(calls ? { tool_calls: wireToolCalls(calls) } : {}),
    },
    logprobs: logprobsAsked ? { content: wireLogprobs(choice.logprobs ?? []), refusal: null } : null,
    finish_reason: FINISH[choice.finishReason],
  };
}
