import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedModel } from '../config';
import { promptTokensOf, type Generation, type GenerationRequest, type OutputSpec } from '../engine';
import { header, sendJson, type HeaderMap } from '../http-util';
import { randomId, runCompletion, sendError, type ErrorKind, type ProtocolSpec, type Renderer } from '../pipeline';
import { hashString } from '../rng';
import type { Runtime } from '../runtime';
import { canonicalJson, countMessageTokens, countTokens, PROMPT_PRIMING_TOKENS, type PromptMessage } from '../tokens';
import { asNumber, asString, authorize, bearerToken, isRecord, sse, stopList } from './common';
import { extraToolCalls, toolGeneration, toolsToCall, type EmulatedTool, type EmulatedToolChoice } from './tool-calls';

const ANTHROPIC_ERRORS: Record<ErrorKind, [number, string]> = {
  invalid_request: [400, 'invalid_request_error'],
  authentication: [401, 'authentication_error'],
  permission: [403, 'permission_error'],
  not_found: [404, 'not_found_error'],
  rate_limit: [429, 'rate_limit_error'],
  server: [500, 'api_error'],
  overloaded: [503, 'overloaded_error'],
  context_length: [400, 'invalid_request_error'],
};

function resetAt(ms: number): string {
  return new Date(Date.now() + Math.max(0, ms)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const anthropicSpec: ProtocolSpec = {
  name: 'anthropic',
  error(kind, message) {
    const [status, type] = ANTHROPIC_ERRORS[kind];
    return { status, body: { type: 'error', error: { type, message } } };
  },
  rateLimitHeaders(d) {
    const h: HeaderMap = {};
    if (d.requests) {
      h['anthropic-ratelimit-requests-limit'] = String(d.requests.limit);
      h['anthropic-ratelimit-requests-remaining'] = String(d.requests.remaining);
      h['anthropic-ratelimit-requests-reset'] = resetAt(d.requests.resetMs);
    }
    if (d.tokens) {
      h['anthropic-ratelimit-tokens-limit'] = String(d.tokens.limit);
      h['anthropic-ratelimit-tokens-remaining'] = String(d.tokens.remaining);
      h['anthropic-ratelimit-tokens-reset'] = resetAt(d.tokens.resetMs);
    }
    return h;
  },
  requestIdHeaders: () => ({ 'request-id': randomId('req_011', 24), 'anthropic-organization-id': '00000000-0000-4000-8000-00000000e7a1' }),
};

interface Segment {
  /** what this part of the prompt contributes (for the cache key) */
  key: unknown;
  tokens: number;
  cacheControl?: { ttl: '5m' | '1h' };
}

function cacheControlOf(block: Record<string, unknown>): Segment['cacheControl'] {
  const cc = block['cache_control'];
  if (!isRecord(cc)) return undefined;
  return { ttl: cc['ttl'] === '1h' ? '1h' : '5m' };
}

function blocksText(content: unknown): { text: string; images: number; cache?: Segment['cacheControl'] } {
  if (typeof content === 'string') return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: '', images: 0 };
  const texts: string[] = [];
  let images = 0;
  let cache: Segment['cacheControl'];
  for (const block of content) {
    if (!isRecord(block)) continue;
    cache = cacheControlOf(block) ?? cache;
    switch (block['type']) {
      case 'text':
        texts.push(asString(block['text']) ?? '');
        break;
      case 'image':
        images++;
        break;
      case 'document': {
        const src = block['source'];
        if (isRecord(src) && typeof src['data'] === 'string' && src['type'] === 'text') texts.push(src['data']);
        else images++;
        break;
      }
      case 'tool_use':
        texts.push(`${asString(block['name']) ?? ''}(${JSON.stringify(block['input'] ?? {})})`);
        break;
      case 'tool_result': {
        const inner = blocksText(block['content']);
        texts.push(inner.text);
        images += inner.images;
        break;
      }
      default:
        break;
    }
  }
  return { text: texts.join('\n'), images, cache };
}

interface ToolDef {
  name: string;
  inputSchema: unknown;
  cache?: Segment['cacheControl'];
}

export function anthropicModelObject(m: ResolvedModel): Record<string, unknown> {
  return { type: 'model', id: m.name, display_name: m.displayName, created_at: new Date(m.created * 1000).toISOString() };
}

export function anthropicListModels(rt: Runtime, res: ServerResponse): void {
  const data = rt.config.models
    .map((e) => rt.findModel(e.name))
    .filter((m): m is ResolvedModel => m !== undefined)
    .map(anthropicModelObject);
  sendJson(
    res,
    200,
    { data, has_more: false, first_id: data[0]?.['id'] ?? null, last_id: data[data.length - 1]?.['id'] ?? null },
    anthropicSpec.requestIdHeaders(),
  );
}

export function anthropicGetModel(rt: Runtime, res: ServerResponse, id: string): void {
  const m = rt.findModel(id);
  if (!m) return sendError(res, anthropicSpec, 'not_found', `model: ${id}`);
  sendJson(res, 200, anthropicModelObject(m), anthropicSpec.requestIdHeaders());
}

interface ParsedRequest {
  messages: PromptMessage[];
  segments: Segment[];
  tools: ToolDef[];
  schemaTexts: string[];
}

/** Parses system/messages/tools into the shared prompt shape, keeping cache_control breakpoints. */
function parsePrompt(b: Record<string, unknown>): ParsedRequest | string {
  const messages: PromptMessage[] = [];
  const segments: Segment[] = [];
  const tools: ToolDef[] = [];
  const schemaTexts: string[] = [];
  if (Array.isArray(b['tools'])) {
    for (const t of b['tools']) {
      if (!isRecord(t)) continue;
      const name = asString(t['name']);
      if (!name || !isRecord(t['input_schema'])) continue; // server tools carry no input schema
      const tool: ToolDef = { name, inputSchema: t['input_schema'], cache: cacheControlOf(t) };
      tools.push(tool);
      const text = canonicalJson(t['input_schema']);
      schemaTexts.push(text);
      segments.push({ key: ['tool', name, text], tokens: countTokens(text), cacheControl: tool.cache });
    }
  }
  if (b['system'] !== undefined) {
    const sys = blocksText(b['system']);
    if (sys.text.length > 0 || sys.images > 0) {
      const m: PromptMessage = { role: 'system', text: sys.text, images: sys.images };
      messages.push(m);
      segments.push({ key: ['system', sys.text], tokens: countMessageTokens(m), cacheControl: sys.cache });
    }
  }
  for (const raw of b['messages'] as unknown[]) {
    if (!isRecord(raw)) return 'messages: each message must be an object';
    const role = raw['role'];
    if (role !== 'user' && role !== 'assistant') return `messages: Unexpected role "${String(role)}". Allowed roles are "user" or "assistant".`;
    const c = blocksText(raw['content']);
    const m: PromptMessage = { role, text: c.text, images: c.images };
    messages.push(m);
    segments.push({ key: [role, c.text, c.images], tokens: countMessageTokens(m), cacheControl: c.cache });
  }
  return { messages, segments, tools, schemaTexts };
}

export async function anthropicMessages(rt: Runtime, req: IncomingMessage, res: ServerResponse, body: unknown, receivedAt: number): Promise<void> {
  const spec = anthropicSpec;
  const b = isRecord(body) ? body : {};
  const modelName = asString(b['model']);
  const fault = rt.decideFault(req, modelName);
  if (!anthropicAuthorize(rt, req, res, fault)) return;
  if (!modelName) return sendError(res, spec, 'invalid_request', 'model: Field required');
  const model = rt.findModel(modelName);
  if (!model) return sendError(res, spec, 'not_found', `model: ${modelName}`);
  const maxTokens = asNumber(b['max_tokens']);
  if (maxTokens === undefined) return sendError(res, spec, 'invalid_request', 'max_tokens: Field required');
  if (maxTokens < 1) return sendError(res, spec, 'invalid_request', 'max_tokens: Input should be greater than or equal to 1');
  if (!Array.isArray(b['messages'])) return sendError(res, spec, 'invalid_request', 'messages: Field required');
  if (b['messages'].length === 0) return sendError(res, spec, 'invalid_request', 'messages: at least one message is required');
  const parsed = parsePrompt(b);
  if (typeof parsed === 'string') return sendError(res, spec, 'invalid_request', parsed);
  const { messages, segments, tools, schemaTexts } = parsed;

  const tc = b['tool_choice'];
  let choice: EmulatedToolChoice = { kind: 'auto' };
  const asEmulated = (t: ToolDef): EmulatedTool => ({ name: t.name, parameters: t.inputSchema });
  if (isRecord(tc) && tools.length > 0) {
    if (tc['type'] === 'tool') {
      const name = asString(tc['name']);
      const named = tools.find((t) => t.name === name);
      if (!named) return sendError(res, spec, 'invalid_request', `tool_choice: tool '${name ?? ''}' not found in tools`);
      choice = { kind: 'named', tool: asEmulated(named) };
    } else if (tc['type'] === 'any') choice = { kind: 'required' };
    else if (tc['type'] === 'none') choice = { kind: 'none' };
  }
  const rawMessages = b['messages'] as unknown[];
  const lastRaw = rawMessages[rawMessages.length - 1];
  const endsWithToolResult =
    isRecord(lastRaw) && Array.isArray(lastRaw['content']) && lastRaw['content'].some((c) => isRecord(c) && c['type'] === 'tool_result');
  const calls = toolsToCall(tools.map(asEmulated), choice, messages, {
    parallel: !(isRecord(tc) && tc['disable_parallel_tool_use'] === true),
    endsWithToolResult,
  });
  const forced = calls[0];
  const output: OutputSpec = { kind: 'text' };
  const stream = b['stream'] === true;
  const base: GenerationRequest = { messages, schemaTexts, output, maxTokens, stop: stopList(b['stop_sequences']) };
  const gen: GenerationRequest = forced ? toolGeneration(base, forced) : base;
  let extraCalls: Generation[] = [];

  // explicit prompt caching: everything up to the last cache_control breakpoint
  let cacheRead = 0;
  let cacheCreation = 0;
  let cache1h = false;
  let lastBreak = -1;
  segments.forEach((s, i) => {
    if (s.cacheControl) lastBreak = i;
  });
  if (lastBreak >= 0) {
    const prefix = segments.slice(0, lastBreak + 1);
    const prefixTokens = PROMPT_PRIMING_TOKENS + prefix.reduce((n, s) => n + s.tokens, 0);
    if (prefixTokens >= rt.config.promptCache.minTokens) {
      const hit = rt.promptCache.touch(`anthropic:${model.name}:${hashString(canonicalJson(prefix.map((s) => s.key)))}`);
      if (hit) cacheRead = prefixTokens;
      else cacheCreation = prefixTokens;
      cache1h = prefix.some((s) => s.cacheControl?.ttl === '1h');
    }
  }
  const inputTokens = (g: Generation): number => Math.max(0, g.promptTokens - cacheRead - cacheCreation);

  const id = randomId('msg_01', 22);
  const toolUseIds = calls.map(() => randomId('toolu_01', 22));
  const toolUseId = toolUseIds[0] ?? randomId('toolu_01', 22);
  const tool = fault !== 'malformed-json' ? forced : undefined;
  const asTool = tool !== undefined;
  const stopReason = (g: Generation): string =>
    g.finishReason === 'length' ? 'max_tokens' : g.finishReason === 'stop_sequence' ? 'stop_sequence' : asTool ? 'tool_use' : 'end_turn';
  const usage = (g: Generation): Record<string, unknown> => ({
    input_tokens: inputTokens(g),
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: cache1h ? 0 : cacheCreation, ephemeral_1h_input_tokens: cache1h ? cacheCreation : 0 },
    output_tokens: g.completionTokens,
    service_tier: 'standard',
  });
  const block = (g: Generation): Record<string, unknown> =>
    tool ? { type: 'tool_use', id: toolUseId, name: tool.name, input: g.value !== undefined ? g.value : {} } : { type: 'text', text: g.text };
  const extraBlocks = (): Array<Record<string, unknown>> =>
    extraCalls.map((e, i) => ({ type: 'tool_use', id: toolUseIds[i + 1], name: calls[i + 1]?.name, input: e.value !== undefined ? e.value : {} }));

  const renderer: Renderer = {
    body: (g) => ({
      id,
      type: 'message',
      role: 'assistant',
      model: modelName,
      content: [block(g), ...extraBlocks()],
      stop_reason: stopReason(g),
      stop_sequence: g.stopSequence ?? null,
      usage: usage(g),
    }),
    streamContentType: 'text/event-stream; charset=utf-8',
    streamHead: (g) =>
      sse(
        {
          type: 'message_start',
          message: {
            id,
            type: 'message',
            role: 'assistant',
            model: modelName,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...usage(g), output_tokens: 1 },
          },
        },
        'message_start',
      ) +
      sse(
        {
          type: 'content_block_start',
          index: 0,
          content_block: tool ? { type: 'tool_use', id: toolUseId, name: tool.name, input: {} } : { type: 'text', text: '' },
        },
        'content_block_start',
      ) +
      sse({ type: 'ping' }, 'ping'),
    streamPiece: (piece) =>
      sse(
        { type: 'content_block_delta', index: 0, delta: asTool ? { type: 'input_json_delta', partial_json: piece } : { type: 'text_delta', text: piece } },
        'content_block_delta',
      ),
    streamTail: (g) =>
      sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop') +
      extraCalls
        .map(
          (e, i) =>
            sse(
              { type: 'content_block_start', index: i + 1, content_block: { type: 'tool_use', id: toolUseIds[i + 1], name: calls[i + 1]?.name, input: {} } },
              'content_block_start',
            ) +
            sse({ type: 'content_block_delta', index: i + 1, delta: { type: 'input_json_delta', partial_json: e.text } }, 'content_block_delta') +
            sse({ type: 'content_block_stop', index: i + 1 }, 'content_block_stop'),
        )
        .join('') +
      sse(
        {
          type: 'message_delta',
          delta: { stop_reason: stopReason(g), stop_sequence: g.stopSequence ?? null },
          usage: {
            input_tokens: inputTokens(g),
            cache_creation_input_tokens: cacheCreation,
            cache_read_input_tokens: cacheRead,
            output_tokens: g.completionTokens,
          },
        },
        'message_delta',
      ) +
      sse({ type: 'message_stop' }, 'message_stop'),
  };

  const beforeRender = (g: Generation): void => {
    if (tool) extraCalls = extraToolCalls(g, gen, calls, model);
  };
  await runCompletion(rt, { spec, req, res, model, gen, stream, fault, renderer, onContextOverflow: 'reject', beforeRender, receivedAt });
}

export function anthropicAuthorize(rt: Runtime, req: IncomingMessage, res: ServerResponse, fault: ReturnType<Runtime['decideFault']>): boolean {
  const key = header(req, 'x-api-key') ?? bearerToken(req);
  return authorize(rt, anthropicSpec, res, key, fault, { missing: 'x-api-key header is required', invalid: 'invalid x-api-key' });
}

export function anthropicCountTokens(rt: Runtime, req: IncomingMessage, res: ServerResponse, body: unknown): void {
  const spec = anthropicSpec;
  const b = isRecord(body) ? body : {};
  if (!anthropicAuthorize(rt, req, res, undefined)) return;
  const modelName = asString(b['model']);
  if (!modelName) return sendError(res, spec, 'invalid_request', 'model: Field required');
  if (!rt.findModel(modelName)) return sendError(res, spec, 'not_found', `model: ${modelName}`);
  if (!Array.isArray(b['messages'])) return sendError(res, spec, 'invalid_request', 'messages: Field required');
  const parsed = parsePrompt(b);
  if (typeof parsed === 'string') return sendError(res, spec, 'invalid_request', parsed);
  sendJson(res, 200, { input_tokens: promptTokensOf(parsed) }, spec.requestIdHeaders());
}
