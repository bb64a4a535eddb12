// The Responses API's request and response shapes, mapped onto Margin's chat call: `input` (a string or
// message items) and `instructions` to messages, `text.format` to the output schema, the answer to the
// response object (one `message` output item with one `output_text` part) and its usage.
import type { ChatMessage, JsonSchema } from '@margin/contracts';
import type { ChatResult } from '@margin/providers';
import { InvalidParamError } from './gateway-support';
import type { ResponseCreateRequest } from './responses.dto';

const ROLES: Readonly<Record<string, ChatMessage['role']>> = { user: 'user', assistant: 'assistant', system: 'system', developer: 'system' };
const TEXT_PARTS = new Set(['input_text', 'output_text', 'text']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function partsText(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw new InvalidParamError(param, `${param} must be a string or an array of input_text parts`);
  return content
    .map((part, j) => {
      if (!isRecord(part) || typeof part['type'] !== 'string') throw new InvalidParamError(`${param}[${j}]`, `${param}[${j}] must be an object with a type`);
      if (!TEXT_PARTS.has(part['type'])) {
        throw new InvalidParamError(
          `${param}[${j}].type`,
          `${param}[${j}].type "${part['type']}" is not supported: Margin's /v1/responses takes text parts (input_text, output_text)`,
          'unsupported_value',
        );
      }
      if (typeof part['text'] !== 'string') throw new InvalidParamError(`${param}[${j}].text`, `${param}[${j}].text must be a string`);
      return part['text'];
    })
    .join('');
}

/** `input` as chat messages: a string is one user message; items are messages (`type: "message"` or bare `{ role, content }`). */
export function inputMessages(input: unknown): ChatMessage[] {
  if (typeof input === 'string') {
    if (input.length === 0) throw new InvalidParamError('input', 'input must not be empty');
    return [{ role: 'user', content: input }];
  }
  if (!Array.isArray(input) || input.length === 0) throw new InvalidParamError('input', 'input must be a non-empty string or a non-empty array of input items');
  return input.map((item, i) => {
    const param = `input[${i}]`;
    if (!isRecord(item)) throw new InvalidParamError(param, `${param} must be an object`);
    const type = item['type'] ?? 'message';
    if (type !== 'message') {
      throw new InvalidParamError(
        `${param}.type`,
        `${param}.type "${String(type)}" is not supported: Margin's /v1/responses takes message items (function calls and tool outputs are not available yet)`,
        'unsupported_value',
      );
    }
    const role = typeof item['role'] === 'string' ? ROLES[item['role']] : undefined;
    if (!role) throw new InvalidParamError(`${param}.role`, `${param}.role must be one of user, assistant, system, developer`);
    return { role, content: partsText(item['content'], `${param}.content`) };
  });
}

/** `text.format` as the call's output schema (json_object: any JSON object). */
export function outputSchemaOf(body: ResponseCreateRequest): { name: string; schema: JsonSchema } | undefined {
  const format = body.text?.format;
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { name: 'response', schema: { type: 'object' } };
  if (!isRecord(format.schema))
    throw new InvalidParamError('text.format.schema', 'text.format.schema must be a JSON schema object when text.format.type is json_schema');
  return { name: format.name ?? 'response', schema: format.schema as JsonSchema };
}

/** Fields the call cannot honour yet are refused with a 400 naming them (never silently dropped). */
export function refuseUnsupported(body: ResponseCreateRequest): void {
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    throw new InvalidParamError('tools', 'tools are not supported on /v1/responses yet: send the call without tools', 'unsupported_parameter');
  }
  if (body.tool_choice !== undefined && body.tool_choice !== 'none' && body.tool_choice !== 'auto') {
    throw new InvalidParamError('tool_choice', 'tool_choice needs tools, which /v1/responses does not support yet', 'unsupported_parameter');
  }
  if (body.top_p !== undefined && body.top_p !== null && body.top_p !== 1)
    throw new InvalidParamError('top_p', 'top_p is not supported: use temperature', 'unsupported_parameter');
  if (body.include !== undefined && body.include !== null && body.include.length > 0) {
    throw new InvalidParamError('include', `include (${body.include.join(', ')}) is not supported: /v1/responses answers text only`, 'unsupported_parameter');
  }
  if (isRecord(body.reasoning) && Object.values(body.reasoning).some((v) => v !== null && v !== undefined)) {
    throw new InvalidParamError('reasoning', 'reasoning settings are not supported: Margin picks the model', 'unsupported_parameter');
  }
  if (body.background === true) throw new InvalidParamError('background', 'background responses are not supported', 'unsupported_parameter');
}

export interface ResponseIds {
  id: string;
  messageId: string;
  createdAt: number;
}

export function responseUsage(r: ChatResult) {
  return {
    input_tokens: r.usage.inputTokens,
    input_tokens_details: { cached_tokens: r.usage.cachedInputTokens },
    output_tokens: r.usage.outputTokens,
    output_tokens_details: { reasoning_tokens: r.usage.reasoningTokens },
    total_tokens: r.usage.inputTokens + r.usage.outputTokens,
  };
}

export function outputText(text: string) {
  return { type: 'output_text' as const, text, annotations: [] as unknown[], logprobs: [] as unknown[] };
}

export function messageItem(ids: ResponseIds, text: string | undefined, status: 'in_progress' | 'completed' | 'incomplete') {
  return { type: 'message' as const, id: ids.messageId, status, role: 'assistant' as const, content: text === undefined ? [] : [outputText(text)] };
}

/** The response object: `in_progress` with no output (stream start) or finished with its one message item. */
export function responseObject(body: ResponseCreateRequest, ids: ResponseIds, model: string, result?: ChatResult): Record<string, unknown> {
  const incomplete = result?.finishReason === 'length';
  const status = !result ? 'in_progress' : incomplete ? 'incomplete' : 'completed';
  const format = body.text?.format ?? { type: 'text' };
  return {
    id: ids.id,
    object: 'response',
    created_at: ids.createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model,
    output: result ? [messageItem(ids, result.text, incomplete ? 'incomplete' : 'completed')] : [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: body.store !== false,
    temperature: body.temperature ?? 1,
    text: { format },
    tool_choice: body.tool_choice ?? 'auto',
    tools: [],
    top_p: 1,
    truncation: body.truncation ?? 'disabled',
    usage: result ? responseUsage(result) : null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}
