import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultKind, ResolvedModel } from '../config';
import type { Generation, GenerationRequest, OutputSpec } from '../engine';
import { sendJson, type HeaderMap } from '../http-util';
import { randomId, runCompletion, sendError, type ErrorKind, type ProtocolSpec, type Renderer } from '../pipeline';
import { formatResetDuration } from '../rate-limit';
import { hashString } from '../rng';
import type { Runtime } from '../runtime';
import { canonicalJson, countPromptTokens, type PromptMessage, type Role } from '../tokens';
import { asNumber, asString, authorize, bearerToken, isRecord, sse, stopList, unixSeconds } from './common';
import { extraChoices, extraToolCalls, textLogprobs, logprobsOf, toolGeneration, toolsToCall, type EmulatedToolChoice } from './tool-calls';

const OPENAI_ERRORS: Record<ErrorKind, [number, string]> = {
  invalid_request: [400, 'invalid_request_error'],
  authentication: [401, 'invalid_request_error'],
  permission: [403, 'permission_error'],
  not_found: [404, 'invalid_request_error'],
  rate_limit: [429, 'requests'],
  server: [500, 'server_error'],
  overloaded: [503, 'server_error'],
  context_length: [400, 'invalid_request_error'],
};

/** OpenAI-style `x-ratelimit-*` headers (also used on the Ollama routes). */
export function openaiRateLimitHeaders(d: Parameters<ProtocolSpec['rateLimitHeaders']>[0]): HeaderMap {
  const h: HeaderMap = {};
  if (d.requests) {
    h['x-ratelimit-limit-requests'] = String(d.requests.limit);
    h['x-ratelimit-remaining-requests'] = String(d.requests.remaining);
    h['x-ratelimit-reset-requests'] = formatResetDuration(d.requests.resetMs);
  }
  if (d.tokens) {
    h['x-ratelimit-limit-tokens'] = String(d.tokens.limit);
    h['x-ratelimit-remaining-tokens'] = String(d.tokens.remaining);
    h['x-ratelimit-reset-tokens'] = formatResetDuration(d.tokens.resetMs);
  }
  return h;
}

export const openaiSpec: ProtocolSpec = {
  name: 'openai',
  error(kind, message, detail) {
    const [status, type] = OPENAI_ERRORS[kind];
    return {
      status,
      body: { error: { message, type: kind === 'rate_limit' ? (detail?.type ?? type) : type, param: detail?.param ?? null, code: detail?.code ?? null } },
    };
  },
  rateLimitHeaders: openaiRateLimitHeaders,
  requestIdHeaders: () => ({ 'x-request-id': randomId('req_', 32), 'openai-version': '2020-10-01', 'openai-organization': 'margin-emulator' }),
};

function contentText(content: unknown): { text: string; images: number } {
  if (typeof content === 'string') return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: '', images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const part of content) {
    if (typeof part === 'string') texts.push(part);
    else if (isRecord(part)) {
      if (typeof part['text'] === 'string') texts.push(part['text']);
      else if (part['type'] === 'image_url' || part['type'] === 'input_image') images++;
      else if (typeof part['refusal'] === 'string') texts.push(part['refusal']);
    }
  }
  return { text: texts.join('\n'), images };
}

function normalizeMessages(raw: unknown[]): PromptMessage[] {
  return raw.filter(isRecord).map((m) => {
    const r = asString(m['role']) ?? 'user';
    const role: Role = r === 'system' || r === 'developer' ? 'system' : r === 'assistant' ? 'assistant' : r === 'tool' || r === 'function' ? 'tool' : 'user';
    const { text, images } = contentText(m['content']);
    const parts = [text];
    if (Array.isArray(m['tool_calls'])) {
      for (const call of m['tool_calls']) {
        if (isRecord(call) && isRecord(call['function']))
          parts.push(`${asString(call['function']['name']) ?? ''}(${asString(call['function']['arguments']) ?? ''})`);
      }
    }
    return { role, text: parts.filter((p) => p.length > 0).join('\n'), images };
  });
}

interface ToolDef {
  name: string;
  parameters: unknown;
}

function toolsOf(raw: unknown): ToolDef[] {
  if (!Array.isArray(raw)) return [];
  const out: ToolDef[] = [];
  for (const t of raw) {
    if (!isRecord(t)) continue;
    const fn = isRecord(t['function']) ? t['function'] : t;
    const name = asString(fn['name']);
    if (name) out.push({ name, parameters: isRecord(fn['parameters']) ? fn['parameters'] : { type: 'object', properties: {} } });
  }
  return out;
}

export function openaiModelObject(m: ResolvedModel): Record<string, unknown> {
  return { id: m.name, object: 'model', created: m.created, owned_by: m.ownedBy };
}

export function openaiListModels(rt: Runtime, res: ServerResponse): void {
  const data = rt.config.models
    .map((e) => rt.findModel(e.name))
    .filter((m): m is ResolvedModel => m !== undefined)
    .map(openaiModelObject);
  sendJson(res, 200, { object: 'list', data }, openaiSpec.requestIdHeaders());
}

export function openaiGetModel(rt: Runtime, res: ServerResponse, id: string): void {
  const m = rt.findModel(id);
  if (!m) return sendError(res, openaiSpec, 'not_found', `The model '${id}' does not exist`, { code: 'model_not_found', param: 'model' });
  sendJson(res, 200, openaiModelObject(m), openaiSpec.requestIdHeaders());
}

export function openaiAuthorize(rt: Runtime, req: IncomingMessage, res: ServerResponse, fault: FaultKind | undefined): boolean {
  const key = bearerToken(req);
  return authorize(rt, openaiSpec, res, key, fault, {
    missing:
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    invalid: `Incorrect API key provided: ${key ? `${key.slice(0, 3)}***${key.slice(-4)}` : ''}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    code: 'invalid_api_key',
  });
}

export async function openaiChatCompletions(rt: Runtime, req: IncomingMessage, res: ServerResponse, body: unknown, receivedAt: number): Promise<void> {
  const spec = openaiSpec;
  const b = isRecord(body) ? body : {};
  const modelName = asString(b['model']);
  const fault = rt.decideFault(req, modelName);
  if (!openaiAuthorize(rt, req, res, fault)) return;
  if (!modelName) return sendError(res, spec, 'invalid_request', 'you must provide a model parameter', { param: 'model' });
  const model = rt.findModel(modelName);
  if (!model) {
    return sendError(res, spec, 'not_found', `The model \`${modelName}\` does not exist or you do not have access to it.`, {
      code: 'model_not_found',
      param: 'model',
    });
  }
  if (!Array.isArray(b['messages']) || b['messages'].length === 0) {
    return sendError(res, spec, 'invalid_request', "Missing required parameter: 'messages'.", { param: 'messages', code: 'missing_required_parameter' });
  }
  const messages = normalizeMessages(b['messages']);
  const schemaTexts: string[] = [];
  let output: OutputSpec = { kind: 'text' };
  let schemaName: string | undefined;

  const rf = b['response_format'];
  if (isRecord(rf)) {
    if (rf['type'] === 'json_schema') {
      const js = rf['json_schema'];
      if (!isRecord(js) || !isRecord(js['schema'])) {
        return sendError(res, spec, 'invalid_request', "Missing required parameter: 'response_format.json_schema.schema'.", {
          param: 'response_format.json_schema',
          code: 'missing_required_parameter',
        });
      }
      schemaName = asString(js['name']) ?? 'response';
      output = { kind: 'schema', schema: js['schema'], name: schemaName };
      schemaTexts.push(canonicalJson(js['schema']));
    } else if (rf['type'] === 'json_object') {
      if (!messages.some((m) => /json/i.test(m.text))) {
        return sendError(
          res,
          spec,
          'invalid_request',
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
          { param: 'messages' },
        );
      }
      output = { kind: 'json' };
    } else if (rf['type'] !== undefined && rf['type'] !== 'text') {
      return sendError(
        res,
        spec,
        'invalid_request',
        `Invalid value: '${String(rf['type'])}'. Supported values are: 'json_object', 'json_schema', and 'text'.`,
        { param: 'response_format.type', code: 'invalid_value' },
      );
    }
  }

  const tools = toolsOf(b['tools']);
  for (const t of tools) schemaTexts.push(canonicalJson(t.parameters));
  let toolFinish: 'tool_calls' | 'stop' = 'tool_calls';
  const tc = b['tool_choice'];
  let choice: EmulatedToolChoice = { kind: 'auto' };
  if (tools.length > 0) {
    if (tc === 'required') choice = { kind: 'required' };
    else if (tc === 'none') choice = { kind: 'none' };
    else if (isRecord(tc) && isRecord(tc['function'])) {
      const name = asString(tc['function']['name']);
      const named = tools.find((t) => t.name === name);
      // OpenAI ends a turn whose function was named in tool_choice with "stop"
      toolFinish = 'stop';
      if (!named)
        return sendError(
          res,
          spec,
          'invalid_request',
          `Invalid value for 'tool_choice': no function named '${name ?? ''}' was specified in the 'tools' parameter.`,
          { param: 'tool_choice' },
        );
      choice = { kind: 'named', tool: named };
    }
  }
  const rawMessages = b['messages'] as unknown[];
  const lastRaw = rawMessages[rawMessages.length - 1];
  const calls =
    output.kind === 'text' || choice.kind !== 'auto'
      ? toolsToCall(tools, choice, messages, {
          parallel: b['parallel_tool_calls'] !== false,
          endsWithToolResult: isRecord(lastRaw) && (lastRaw['role'] === 'tool' || lastRaw['role'] === 'function'),
        })
      : [];
  const forcedTool: ToolDef | undefined = calls[0];

  const n = Math.max(1, Math.floor(asNumber(b['n']) ?? 1));
  if (n > 128) return sendError(res, spec, 'invalid_request', `${n} is greater than the maximum of 128 - 'n'`, { param: 'n', code: 'integer_above_max_value' });
  const seed = asNumber(b['seed']);
  const wantLogprobs = b['logprobs'] === true;
  const topLogprobs = Math.max(0, Math.floor(asNumber(b['top_logprobs']) ?? 0));
  if (b['top_logprobs'] !== undefined && !wantLogprobs) {
    return sendError(res, spec, 'invalid_request', "Invalid value for 'top_logprobs': 'logprobs' must be set to true.", { param: 'top_logprobs' });
  }
  const maxTokens = asNumber(b['max_completion_tokens']) ?? asNumber(b['max_tokens']);
  const stream = b['stream'] === true;
  const includeUsage = isRecord(b['stream_options']) && b['stream_options']['include_usage'] === true;
  const base: GenerationRequest = {
    messages,
    schemaTexts,
    output,
    maxTokens,
    stop: stopList(b['stop']),
    ...(seed !== undefined ? { seedExtra: `seed:${seed}` } : {}),
  };
  const gen: GenerationRequest = forcedTool ? toolGeneration(base, forcedTool) : base;

  // automatic prompt caching: the prefix (all but the last message) is cached once seen
  let cachedTokens = 0;
  let extraCalls: Generation[] = [];
  let extraAnswers: Generation[] = [];
  const beforeRender = (g: Generation): void => {
    if (forcedTool && fault !== 'malformed-json') extraCalls = extraToolCalls(g, gen, calls, model);
    if (n > 1) extraAnswers = extraChoices(g, gen, n, model);
    if (g.promptTokens < rt.config.promptCache.minTokens || messages.length < 2) return;
    const prefix = { messages: messages.slice(0, -1), schemaTexts };
    const prefixTokens = countPromptTokens(prefix);
    const hit = rt.promptCache.touch(`openai:${model.name}:${hashString(canonicalJson(prefix))}`);
    const cacheable = Math.floor(Math.min(prefixTokens, g.promptTokens) / 128) * 128;
    if (hit && cacheable >= rt.config.promptCache.minTokens) cachedTokens = cacheable;
  };

  const id = randomId('chatcmpl-', 29);
  const created = unixSeconds();
  const fingerprint = `fp_${hashString(model.name).slice(0, 10)}`;
  const callIds = calls.map(() => randomId('call_', 24));
  const callId = callIds[0] ?? randomId('call_', 24);
  const usage = (g: Generation): Record<string, unknown> => ({
    prompt_tokens: g.promptTokens,
    completion_tokens: g.completionTokens,
    total_tokens: g.promptTokens + g.completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: g.reasoningTokens, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  });
  const callTool = fault !== 'malformed-json' ? forcedTool : undefined;
  const asToolCall = callTool !== undefined;
  const finishReason = (g: Generation): string => (g.finishReason === 'length' ? 'length' : asToolCall ? toolFinish : 'stop');
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    sse({
      id,
      object: 'chat.completion.chunk',
      created,
      model: modelName,
      service_tier: 'default',
      system_fingerprint: fingerprint,
      choices,
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    });

  const wireCalls = (g: Generation, extras: Generation[]): unknown[] =>
    [g, ...extras].map((c, i) => ({ id: callIds[i] ?? callId, type: 'function', function: { name: calls[i]?.name ?? callTool?.name, arguments: c.text } }));
  const choiceBody = (g: Generation, index: number, extras: Generation[]): Record<string, unknown> => ({
    index,
    message: callTool
      ? { role: 'assistant', content: null, refusal: null, annotations: [], tool_calls: wireCalls(g, extras) }
      : { role: 'assistant', content: g.text, refusal: null, annotations: [] },
    logprobs: wantLogprobs && !callTool ? { content: textLogprobs(g.text, topLogprobs), refusal: null } : null,
    finish_reason: finishReason(g),
  });
  let piecePosition = 0;

  const renderer: Renderer = {
    body: (g) => ({
      id,
      object: 'chat.completion',
      created,
      model: modelName,
      // extra answers of a tool turn call the same tools (the arguments differ)
      choices: [choiceBody(g, 0, extraCalls), ...extraAnswers.map((e, i) => choiceBody(e, i + 1, callTool ? extraCalls : []))],
      usage: usage(g),
      service_tier: 'default',
      system_fingerprint: fingerprint,
    }),
    streamContentType: 'text/event-stream; charset=utf-8',
    streamHead: () =>
      chunk([
        {
          index: 0,
          delta: callTool
            ? {
                role: 'assistant',
                content: null,
                tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: callTool.name, arguments: '' } }],
                refusal: null,
              }
            : { role: 'assistant', content: '', refusal: null },
          logprobs: null,
          finish_reason: null,
        },
      ]),
    streamPiece: (piece) =>
      chunk([
        {
          index: 0,
          delta: asToolCall ? { tool_calls: [{ index: 0, function: { arguments: piece } }] } : { content: piece },
          logprobs: wantLogprobs && !asToolCall ? { content: [logprobsOf(piece, piecePosition++, topLogprobs)], refusal: null } : null,
          finish_reason: null,
        },
      ]),
    streamTail: (g) =>
      // further parallel calls, each announced (id, name) and then its arguments
      extraCalls
        .map(
          (e, i) =>
            chunk([
              {
                index: 0,
                delta: { tool_calls: [{ index: i + 1, id: callIds[i + 1], type: 'function', function: { name: calls[i + 1]?.name, arguments: '' } }] },
                logprobs: null,
                finish_reason: null,
              },
            ]) + chunk([{ index: 0, delta: { tool_calls: [{ index: i + 1, function: { arguments: e.text } }] }, logprobs: null, finish_reason: null }]),
        )
        .join('') +
      // further answers (n > 1), each whole in one chunk
      extraAnswers
        .map(
          (e, i) =>
            chunk([{ index: i + 1, delta: { role: 'assistant', content: e.text }, logprobs: null, finish_reason: null }]) +
            chunk([{ index: i + 1, delta: {}, logprobs: null, finish_reason: finishReason(e) }]),
        )
        .join('') +
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(g) }]) +
      (includeUsage
        ? sse({
            id,
            object: 'chat.completion.chunk',
            created,
            model: modelName,
            service_tier: 'default',
            system_fingerprint: fingerprint,
            choices: [],
            usage: usage(g),
          })
        : '') +
      sse('[DONE]'),
  };

  await runCompletion(rt, { spec, req, res, model, gen, stream, fault, renderer, onContextOverflow: 'reject', beforeRender, receivedAt });
}
