// Anthropic through `@anthropic-ai/sdk`: /v1/messages (system messages go to `system`), streaming
// (message_start / content_block_delta / message_delta / message_stop), structured output through a
// forced tool call whose `input` is the answer. The SDK never retries: Margin's router does.
import Anthropic from '@anthropic-ai/sdk';
import type { ProviderKind } from '@margin/contracts';
import type {
  BatchApi,
  BatchStatus,
  CallOptions,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  FinishReason,
  LlmMessage,
  LlmProvider,
  ModelInfo,
  ProviderConnection,
  ProviderFeature,
  ProviderHealth,
  TokenUsage,
  ToolCall,
} from '../llm-provider';
import { EMULATOR_HEADER } from '../llm-provider';
import {
  buildResult,
  NO_API_KEY,
  planStructuredOutput,
  probeHealth,
  systemText,
  tokens,
  trimTrailingSlash,
  type AdapterOptions,
  type StructuredPlan,
} from './adapter-support';
import { parseAnthropicResults, type ReadAnswer } from './batch-lines';
import { scopedFetch, streamWithScope, withScope, type CallScope } from './call-scope';
import { argumentsObject, ToolCallAccumulator } from './tool-support';

type MessageParams = Omit<Anthropic.Messages.MessageCreateParamsNonStreaming, 'stream'>;
type StopReason = Anthropic.Messages.StopReason;
type WireMessage = Anthropic.Messages.MessageParam;
type Block = Anthropic.Messages.ContentBlockParam;

/**
 * Stop sequences, the end user (`metadata.user_id`) and one-call-per-turn (`disable_parallel_tool_use`) pass
 * on; Anthropic has no `n`, logprobs, seed, free-form metadata or OpenAI's service tiers.
 */
const SUPPORTS: ReadonlySet<ProviderFeature> = new Set<ProviderFeature>(['stop', 'user', 'parallelToolCalls']);

/**
 * The conversation in Anthropic's terms: an assistant's tool calls become `tool_use` blocks, tool answers
 * `tool_result` blocks of a user turn, and consecutive turns of one role are merged (Anthropic alternates).
 */
function wireMessages(providerId: string, messages: readonly LlmMessage[]): WireMessage[] {
  const out: Array<{ role: 'user' | 'assistant'; blocks: Block[] }> = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const blocks: Block[] = [];
    if (m.role === 'tool') blocks.push({ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content });
    else {
      if (m.content !== '') blocks.push({ type: 'text', text: m.content });
      if ('toolCalls' in m) for (const c of m.toolCalls) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: argumentsObject(providerId, c) });
    }
    const last = out[out.length - 1];
    if (last && last.role === role) last.blocks.push(...blocks);
    else out.push({ role, blocks });
  }
  // a turn of plain text alone stays a string (what the API echoes back most simply)
  return out.map(({ role, blocks }) => ({
    role,
    content: blocks.length === 1 && blocks[0]?.type === 'text' ? blocks[0].text : blocks.length === 0 ? '' : blocks,
  }));
}

/** Anthropic requires `max_tokens`; this is used when the request has none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/** The SDK's own deadline stays far behind ours (CallOptions.timeoutMs); setting it also lifts the SDK's
 * refusal of long non-streaming calls. */
const SDK_TIMEOUT_MS = 60 * 60_000;

function finishReason(reason: StopReason | null | undefined, structured: boolean): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      // the forced tool call *is* the structured answer
      return structured ? 'stop' : 'tool_use';
    case 'refusal':
      return 'content_filter';
    case 'pause_turn':
    case null:
    case undefined:
      return 'other';
  }
}

interface UsageFields {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/** Anthropic's `input_tokens` excludes the cache reads and writes; Margin's inputTokens includes them. */
function usageOf(u: UsageFields): TokenUsage {
  const cacheRead = tokens(u.cache_read_input_tokens);
  return {
    inputTokens: tokens(u.input_tokens) + cacheRead + tokens(u.cache_creation_input_tokens),
    outputTokens: tokens(u.output_tokens),
    cachedInputTokens: cacheRead,
    reasoningTokens: 0,
  };
}

function contextWindowOf(model: object): number | undefined {
  const m = model as Record<string, unknown>;
  const v = m['max_input_tokens'] ?? m['context_window'];
  return typeof v === 'number' && v > 0 ? v : undefined;
}

export class AnthropicProvider implements LlmProvider {
  readonly id: string;
  readonly kind: ProviderKind = 'anthropic';
  readonly baseUrl: string;
  readonly supports = SUPPORTS;
  private readonly client: Anthropic;

  constructor(connection: ProviderConnection, options: AdapterOptions = {}) {
    this.id = connection.id;
    this.baseUrl = trimTrailingSlash(connection.baseUrl);
    this.client = new Anthropic({
      apiKey: connection.apiKey ?? NO_API_KEY,
      authToken: null,
      // the SDK adds /v1/... itself
      baseURL: this.baseUrl.replace(/\/v1$/, ''),
      maxRetries: 0,
      timeout: SDK_TIMEOUT_MS,
      fetch: scopedFetch(options.fetch, { sdkFollowsCallSignal: true }),
      defaultHeaders: options.headers,
    });
  }

  private params(request: ChatRequest, plan: StructuredPlan | undefined): MessageParams {
    const system = systemText(request.messages);
    const params: MessageParams = {
      model: request.model,
      max_tokens: request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      messages: wireMessages(this.id, request.messages),
    };
    if (system !== undefined) params.system = system;
    if (request.temperature !== undefined) params.temperature = request.temperature;
    if (request.stop?.length) params.stop_sequences = request.stop;
    if (request.user !== undefined) params.metadata = { user_id: request.user };
    const tools: Anthropic.Messages.Tool[] = (request.tools ?? []).map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      input_schema: { ...t.parameters, type: 'object' },
    }));
    const choice = request.toolChoice ?? 'auto';
    const single = request.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
    if (plan) {
      tools.push({
        name: plan.name,
        description: `Give the answer by calling this tool: its input is the answer, as JSON matching the "${plan.name}" schema.`,
        input_schema: { ...plan.wireSchema, type: 'object' },
      });
      // with tools of the caller's the model either calls one of them or gives the answer through this one
      params.tool_choice =
        tools.length === 1 || choice === 'none'
          ? { type: 'tool', name: plan.name, ...single }
          : typeof choice === 'object'
            ? { type: 'tool', name: choice.name, ...single }
            : { type: 'any', ...single };
    } else if (tools.length > 0) {
      params.tool_choice =
        choice === 'none'
          ? { type: 'none' }
          : choice === 'required'
            ? { type: 'any', ...single }
            : typeof choice === 'object'
              ? { type: 'tool', name: choice.name, ...single }
              : { type: 'auto', ...single };
    }
    if (tools.length > 0) params.tools = tools;
    return params;
  }

  chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult> {
    return withScope(this.id, options, async (scope) => {
      const plan = planStructuredOutput(this.id, request, true);
      const { data, response } = await this.client.messages.create({ ...this.params(request, plan), stream: false }, { signal: scope.signal }).withResponse();
      scope.response = response;
      return buildResult(scope, this.readMessage(data, plan));
    });
  }

  /** A message (live, or a batch result's) as the parts of a result: the forced tool call's input is the answer. */
  private readMessage(data: Anthropic.Messages.Message, plan: StructuredPlan | undefined): ReturnType<ReadAnswer> {
    let text = data.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    const calls: ToolCall[] = data.content.flatMap((b) =>
      b.type === 'tool_use' && b.name !== plan?.name ? [{ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) }] : [],
    );
    let json: unknown;
    if (plan && calls.length === 0) {
      const call = data.content.find((b): b is Anthropic.Messages.ToolUseBlock => b.type === 'tool_use' && b.name === plan.name);
      if (call) {
        text = JSON.stringify(call.input);
        json = plan.check(text, { parsed: call.input });
      } else json = plan.check(text);
    }
    return {
      text,
      ...(calls.length > 0 ? { toolCalls: calls } : {}),
      json,
      usage: usageOf(data.usage),
      model: data.model,
      finishReason: calls.length > 0 ? 'tool_use' : finishReason(data.stop_reason, plan !== undefined),
    };
  }

  /** Message Batches: the same params per request, results as a JSONL stream, 24 h window, half price. */
  readonly batch: BatchApi = {
    submit: (entries, options) =>
      withScope(this.id, options, async (scope) => {
        const { data, response } = await this.client.messages.batches
          .create(
            { requests: entries.map((e) => ({ custom_id: e.customId, params: this.params(e.request, planStructuredOutput(this.id, e.request, true)) })) },
            { signal: scope.signal },
          )
          .withResponse();
        scope.response = response;
        return { remoteId: data.id };
      }),
    status: (remoteId, options) =>
      withScope(this.id, options, async (scope): Promise<BatchStatus> => {
        const b = await this.client.messages.batches.retrieve(remoteId, { signal: scope.signal });
        return { remoteId, state: b.processing_status === 'ended' ? 'ended' : 'in_progress', detail: b.processing_status };
      }),
    results: (remoteId, requests, options) =>
      withScope(this.id, options, async (scope) => {
        const { response } = await this.client.messages.batches.retrieve(remoteId, { signal: scope.signal }).withResponse();
        const stream = await this.client.messages.batches.results(remoteId, { signal: scope.signal });
        const lines: unknown[] = [];
        for await (const line of stream) lines.push(line);
        const reader: ReadAnswer = (body, request) => this.readMessage(body as Anthropic.Messages.Message, planStructuredOutput(this.id, request, true));
        return parseAnthropicResults(lines, requests, reader, response.headers.get(EMULATOR_HEADER) !== null);
      }),
    cancel: (remoteId, options) =>
      withScope(this.id, options, async (scope) => {
        await this.client.messages.batches.cancel(remoteId, { signal: scope.signal });
      }),
  };

  chatStream(request: ChatRequest, options?: CallOptions): AsyncGenerator<ChatStreamEvent> {
    return streamWithScope(this.id, options, (scope) => this.streamed(scope, request));
  }

  /** The streamed call inside its scope: yields the deltas, returns the complete result. */
  private async *streamed(scope: CallScope, request: ChatRequest): AsyncGenerator<Exclude<ChatStreamEvent, { type: 'done' }>, ChatResult> {
    const plan = planStructuredOutput(this.id, request, true);
    const { data: stream, response } = await scope.run(() =>
      this.client.messages.create({ ...this.params(request, plan), stream: true }, { signal: scope.signal }).withResponse(),
    );
    scope.response = response;
    let text = '';
    let toolJson = '';
    let sawTool = false;
    // the caller's tools: content block index → position among the turn's calls
    const callOf = new Map<number, number>();
    const calls = new ToolCallAccumulator();
    let model = request.model;
    let usage: UsageFields | undefined;
    let reason: StopReason | null | undefined;
    let stopped = false;
    for await (const event of stream) {
      switch (event.type) {
        case 'message_start':
          model = event.message.model;
          usage = { ...event.message.usage };
          break;
        case 'content_block_start':
          if (event.content_block.type === 'tool_use' && event.content_block.name !== plan?.name) {
            const delta = { index: callOf.size, id: event.content_block.id, name: event.content_block.name, arguments: '' };
            callOf.set(event.index, delta.index);
            calls.add(delta);
            yield { type: 'tool_call', delta };
          } else if (event.content_block.type === 'tool_use') sawTool = true;
          else if (event.content_block.type === 'text' && event.content_block.text) {
            text += event.content_block.text;
            yield { type: 'delta', text: event.content_block.text };
          }
          break;
        case 'content_block_delta':
          if (event.delta.type === 'text_delta' && event.delta.text) {
            text += event.delta.text;
            yield { type: 'delta', text: event.delta.text };
          } else if (event.delta.type === 'input_json_delta' && event.delta.partial_json && callOf.has(event.index)) {
            const delta = { index: callOf.get(event.index) as number, arguments: event.delta.partial_json };
            calls.add(delta);
            yield { type: 'tool_call', delta };
          } else if (event.delta.type === 'input_json_delta' && event.delta.partial_json) {
            toolJson += event.delta.partial_json;
            yield { type: 'delta', text: event.delta.partial_json };
          }
          break;
        case 'message_delta': {
          reason = event.delta.stop_reason;
          const u = event.usage;
          // message_delta carries the final (cumulative) counts; fields it leaves null keep message_start's
          usage = {
            input_tokens: u.input_tokens ?? usage?.input_tokens,
            cache_read_input_tokens: u.cache_read_input_tokens ?? usage?.cache_read_input_tokens,
            cache_creation_input_tokens: u.cache_creation_input_tokens ?? usage?.cache_creation_input_tokens,
            output_tokens: u.output_tokens,
          };
          break;
        }
        case 'message_stop':
          stopped = true;
          break;
        case 'content_block_stop':
          break;
      }
    }
    if (!stopped || reason === undefined || usage === undefined) {
      throw scope.incomplete(
        `the stream ended without its ${usage === undefined ? 'message_start' : reason === undefined ? 'message_delta' : 'message_stop'} event`,
      );
    }
    const toolCalls = calls.result()?.map((c) => ({ ...c, arguments: c.arguments === '' ? '{}' : c.arguments }));
    const answer = plan && sawTool && !toolCalls ? toolJson || '{}' : text;
    return buildResult(scope, {
      text: answer,
      ...(toolCalls ? { toolCalls } : {}),
      json: plan && !toolCalls ? plan.check(answer) : undefined,
      usage: usageOf(usage),
      model,
      finishReason: toolCalls ? 'tool_use' : finishReason(reason, plan !== undefined),
    });
  }

  listModels(options?: CallOptions): Promise<ModelInfo[]> {
    return withScope(this.id, options, async (scope) => {
      const models: ModelInfo[] = [];
      for await (const m of this.client.models.list({ limit: 100 }, { signal: scope.signal })) {
        const contextWindow = contextWindowOf(m);
        models.push(contextWindow !== undefined ? { id: m.id, contextWindow } : { id: m.id });
      }
      return models;
    });
  }

  health(options?: CallOptions): Promise<ProviderHealth> {
    return probeHealth(this.id, options, (signal) => this.client.models.list({ limit: 1 }, { signal }));
  }
}
