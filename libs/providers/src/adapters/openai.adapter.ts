// OpenAI and every OpenAI-compatible host (vLLM, LM Studio, OpenRouter, Groq, Ollama's /v1…) through the
// `openai` SDK: chat.completions (plain and streamed with a final usage chunk), structured output through
// `response_format: json_schema` (strict). The SDK never retries: Margin's router owns retries/fallback.
import OpenAI, { toFile } from 'openai';
import type { ProviderKind } from '@margin/contracts';
import type {
  BatchApi,
  BatchStatus,
  CallOptions,
  ChatChoice,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  EmbedRequest,
  EmbedResult,
  FinishReason,
  LlmMessage,
  LlmProvider,
  ModelInfo,
  ProviderConnection,
  ProviderFeature,
  ProviderHealth,
  TokenLogprob,
  TokenUsage,
  ToolCall,
} from '../llm-provider';
import { EMULATOR_HEADER } from '../llm-provider';
import { ProviderBadRequestError, ProviderServerError } from '../provider-errors';
import {
  buildResult,
  isAnyObjectSchema,
  NO_API_KEY,
  planStructuredOutput,
  probeHealth,
  tokens,
  trimTrailingSlash,
  type AdapterOptions,
  type StructuredPlan,
} from './adapter-support';
import { openaiBatchLine, parseOpenAiBatchFiles, type ReadAnswer } from './batch-lines';
import { scopedFetch, streamWithScope, withScope, type CallScope } from './call-scope';
import { ToolCallAccumulator } from './tool-support';

type CompletionParams = Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, 'stream'>;
type FinishReasonWire = OpenAI.Chat.Completions.ChatCompletion.Choice['finish_reason'];
type MessageParam = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type WireLogprobs = OpenAI.Chat.Completions.ChatCompletion.Choice['logprobs'];

/** OpenAI's chat.completions takes every optional field Margin knows. */
const SUPPORTS: ReadonlySet<ProviderFeature> = new Set<ProviderFeature>([
  'n',
  'stop',
  'logprobs',
  'seed',
  'user',
  'metadata',
  'parallelToolCalls',
  'serviceTier',
]);

function messageParam(m: LlmMessage): MessageParam {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
  if ('toolCalls' in m && m.toolCalls.length > 0) {
    return {
      role: 'assistant',
      content: m.content === '' ? null : m.content,
      tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
    };
  }
  return { role: m.role, content: m.content };
}

function logprobsOf(wire: WireLogprobs | null | undefined): TokenLogprob[] | undefined {
  const content = wire?.content;
  if (!content) return undefined;
  return content.map((t) => ({
    token: t.token,
    logprob: t.logprob,
    bytes: t.bytes ?? null,
    topLogprobs: (t.top_logprobs ?? []).map((a) => ({ token: a.token, logprob: a.logprob, bytes: a.bytes ?? null })),
  }));
}

function toolCallsOf(message: OpenAI.Chat.Completions.ChatCompletionMessage): ToolCall[] | undefined {
  const calls = (message.tool_calls ?? []).flatMap((c) =>
    c.type === 'function' ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : [],
  );
  return calls.length > 0 ? calls : undefined;
}

/** The SDK's own deadline stays far behind ours (CallOptions.timeoutMs), which is the one that counts. */
const SDK_TIMEOUT_MS = 60 * 60_000;

function finishReason(reason: FinishReasonWire | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'content_filter';
    case null:
    case undefined:
      return 'other';
  }
}

function usageOf(usage: OpenAI.Completions.CompletionUsage | null | undefined): TokenUsage {
  return {
    inputTokens: tokens(usage?.prompt_tokens),
    outputTokens: tokens(usage?.completion_tokens),
    cachedInputTokens: tokens(usage?.prompt_tokens_details?.cached_tokens),
    reasoningTokens: tokens(usage?.completion_tokens_details?.reasoning_tokens),
  };
}

/** OpenAI-compatible hosts may describe the context window under one of these names. */
function contextWindowOf(model: object): number | undefined {
  const m = model as Record<string, unknown>;
  const v = m['context_window'] ?? m['context_length'] ?? m['max_model_len'];
  return typeof v === 'number' && v > 0 ? v : undefined;
}

export class OpenAiProvider implements LlmProvider {
  readonly id: string;
  readonly kind: ProviderKind = 'openai';
  readonly baseUrl: string;
  readonly supports = SUPPORTS;
  private readonly client: OpenAI;
  /** api.openai.com wants `max_completion_tokens` (reasoning models refuse `max_tokens`); compatible hosts know `max_tokens`. */
  private readonly officialApi: boolean;

  constructor(connection: ProviderConnection, options: AdapterOptions = {}) {
    this.id = connection.id;
    this.baseUrl = trimTrailingSlash(connection.baseUrl);
    this.officialApi = /^https:\/\/api\.openai\.com(\/|$)/.test(this.baseUrl);
    this.client = new OpenAI({
      apiKey: connection.apiKey ?? NO_API_KEY,
      // the connection is the whole configuration: no OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment
      organization: null,
      project: null,
      baseURL: this.baseUrl,
      maxRetries: 0,
      timeout: SDK_TIMEOUT_MS,
      fetch: scopedFetch(options.fetch, { sdkFollowsCallSignal: true }),
      defaultHeaders: options.headers,
    });
  }

  private params(request: ChatRequest, plan: StructuredPlan | undefined): CompletionParams {
    const params: CompletionParams = {
      model: request.model,
      messages: request.messages.map(messageParam),
    };
    if (request.temperature !== undefined) params.temperature = request.temperature;
    if (request.maxTokens !== undefined) {
      if (this.officialApi) params.max_completion_tokens = request.maxTokens;
      else params.max_tokens = request.maxTokens;
    }
    if (plan) {
      // any object at all is JSON mode (strict json_schema wants the properties spelled out)
      params.response_format = isAnyObjectSchema(plan.wireSchema)
        ? { type: 'json_object' }
        : { type: 'json_schema', json_schema: { name: plan.name, schema: plan.wireSchema, strict: true } };
    }
    if (request.tools?.length) {
      params.tools = request.tools.map((t) => ({
        type: 'function' as const,
        function: {
          name: t.name,
          ...(t.description !== undefined ? { description: t.description } : {}),
          parameters: t.parameters,
          ...(t.strict !== undefined ? { strict: t.strict } : {}),
        },
      }));
      const choice = request.toolChoice;
      if (choice !== undefined) params.tool_choice = typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
      if (request.parallelToolCalls !== undefined) params.parallel_tool_calls = request.parallelToolCalls;
    }
    if (request.n !== undefined) params.n = request.n;
    if (request.stop?.length) params.stop = request.stop;
    if (request.logprobs) {
      params.logprobs = true;
      if (request.topLogprobs !== undefined) params.top_logprobs = request.topLogprobs;
    }
    if (request.seed !== undefined) params.seed = request.seed;
    if (request.user !== undefined) params.user = request.user;
    if (request.metadata !== undefined) params.metadata = request.metadata;
    if (request.serviceTier !== undefined) params.service_tier = request.serviceTier as CompletionParams['service_tier'];
    return params;
  }

  chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult> {
    return withScope(this.id, options, async (scope) => {
      const plan = planStructuredOutput(this.id, request, true);
      const { data, response } = await this.client.chat.completions
        .create({ ...this.params(request, plan), stream: false }, { signal: scope.signal })
        .withResponse();
      scope.response = response;
      return buildResult(scope, this.readCompletion(data, plan));
    });
  }

  /** A chat.completion body (live, or a batch output line's) as the parts of a result. */
  private readCompletion(data: OpenAI.Chat.Completions.ChatCompletion, plan: StructuredPlan | undefined): ReturnType<ReadAnswer> {
    if (data.choices.length === 0) throw new ProviderServerError(this.id, 'the answer carried no choice');
    const choices: ChatChoice[] = [...data.choices]
      .sort((a, b) => a.index - b.index)
      .map((choice) => {
        const refused = choice.message.content == null && typeof choice.message.refusal === 'string';
        const toolCalls = toolCallsOf(choice.message);
        const logprobs = logprobsOf(choice.logprobs);
        return {
          text: choice.message.content ?? choice.message.refusal ?? '',
          ...(toolCalls ? { toolCalls } : {}),
          ...(logprobs ? { logprobs } : {}),
          finishReason: refused ? 'content_filter' : finishReason(choice.finish_reason),
        };
      });
    const first = choices[0] as ChatChoice;
    return {
      ...first,
      json: plan && !first.toolCalls ? plan.check(first.text) : undefined,
      usage: usageOf(data.usage),
      model: data.model,
      ...(choices.length > 1 ? { choices } : {}),
    };
  }

  /** The Batch API: a JSONL file of chat.completions requests (files, purpose "batch"), 24 h window, half price. */
  readonly batch: BatchApi = {
    submit: (entries, options) =>
      withScope(this.id, options, async (scope) => {
        const lines = entries.map((e) => openaiBatchLine(e.customId, this.params(e.request, planStructuredOutput(this.id, e.request, true))));
        const file = await this.client.files.create(
          { file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'margin-batch.jsonl'), purpose: 'batch' },
          { signal: scope.signal },
        );
        const { data, response } = await this.client.batches
          .create(
            {
              input_file_id: file.id,
              endpoint: '/v1/chat/completions',
              completion_window: '24h',
              ...(options?.metadata ? { metadata: options.metadata } : {}),
            },
            { signal: scope.signal },
          )
          .withResponse();
        scope.response = response;
        return { remoteId: data.id };
      }),
    status: (remoteId, options) =>
      withScope(this.id, options, async (scope): Promise<BatchStatus> => {
        const b = await this.client.batches.retrieve(remoteId, { signal: scope.signal });
        const ended = b.status === 'completed' || b.status === 'expired' || b.status === 'cancelled' || b.status === 'failed';
        return { remoteId, state: ended ? 'ended' : 'in_progress', detail: b.status };
      }),
    results: (remoteId, requests, options) =>
      withScope(this.id, options, async (scope) => {
        const b = await this.client.batches.retrieve(remoteId, { signal: scope.signal });
        let emulated = false;
        const read = async (fileId: string | null | undefined): Promise<string> => {
          if (!fileId) return '';
          const res = await this.client.files.content(fileId, { signal: scope.signal });
          emulated ||= res.headers.get(EMULATOR_HEADER) !== null;
          return res.text();
        };
        const [output, errors] = [await read(b.output_file_id), await read(b.error_file_id)];
        const reader: ReadAnswer = (body, request) =>
          this.readCompletion(body as OpenAI.Chat.Completions.ChatCompletion, planStructuredOutput(this.id, request, true));
        return parseOpenAiBatchFiles(output, errors, requests, reader, emulated);
      }),
    cancel: (remoteId, options) =>
      withScope(this.id, options, async (scope) => {
        await this.client.batches.cancel(remoteId, { signal: scope.signal });
      }),
  };

  chatStream(request: ChatRequest, options?: CallOptions): AsyncGenerator<ChatStreamEvent> {
    return streamWithScope(this.id, options, (scope) => this.streamed(scope, request));
  }

  /** The streamed call inside its scope: yields the deltas, returns the complete result. */
  private async *streamed(scope: CallScope, request: ChatRequest): AsyncGenerator<Exclude<ChatStreamEvent, { type: 'done' }>, ChatResult> {
    if ((request.n ?? 1) > 1) throw new ProviderBadRequestError(this.id, 'n > 1 cannot be streamed through Margin');
    const plan = planStructuredOutput(this.id, request, true);
    const { data: stream, response } = await scope.run(() =>
      this.client.chat.completions
        .create({ ...this.params(request, plan), stream: true, stream_options: { include_usage: true } }, { signal: scope.signal })
        .withResponse(),
    );
    scope.response = response;
    let text = '';
    let model = request.model;
    let reason: FinishReasonWire | undefined;
    let usage: OpenAI.Completions.CompletionUsage | undefined;
    const tools = new ToolCallAccumulator();
    let logprobs: TokenLogprob[] | undefined;
    for await (const chunk of stream) {
      model = chunk.model || model;
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      const pieceLogprobs = logprobsOf(choice.logprobs);
      if (pieceLogprobs) logprobs = [...(logprobs ?? []), ...pieceLogprobs];
      const piece = choice.delta.content ?? choice.delta.refusal ?? '';
      if (piece) {
        text += piece;
        yield pieceLogprobs ? { type: 'delta', text: piece, logprobs: pieceLogprobs } : { type: 'delta', text: piece };
      }
      for (const call of choice.delta.tool_calls ?? []) {
        const delta = {
          index: call.index,
          ...(call.id ? { id: call.id } : {}),
          ...(call.function?.name ? { name: call.function.name } : {}),
          arguments: call.function?.arguments ?? '',
        };
        tools.add(delta);
        yield { type: 'tool_call', delta };
      }
      if (choice.finish_reason) reason = choice.finish_reason;
    }
    // the SDK ends quietly when the connection drops before [DONE]: the finish reason and the usage
    // chunk (stream_options.include_usage) are what prove the answer complete
    if (reason === undefined || usage === undefined) {
      throw scope.incomplete(`the stream ended without its ${reason === undefined ? 'finish reason' : 'usage chunk'}`);
    }
    const toolCalls = tools.result();
    return buildResult(scope, {
      text,
      ...(toolCalls ? { toolCalls } : {}),
      ...(logprobs ? { logprobs } : {}),
      json: plan && !toolCalls ? plan.check(text) : undefined,
      usage: usageOf(usage),
      model,
      finishReason: finishReason(reason),
    });
  }

  /** embeddings.create: float vectors (the SDK asks for base64 on the wire and decodes it), prompt tokens from usage. */
  embed(request: EmbedRequest, options?: CallOptions): Promise<EmbedResult> {
    return withScope(this.id, options, async (scope) => {
      const { data, response } = await this.client.embeddings
        .create(
          { model: request.model, input: request.input, ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}) },
          { signal: scope.signal },
        )
        .withResponse();
      scope.response = response;
      const ordered = [...data.data].sort((a, b) => a.index - b.index);
      if (ordered.length !== request.input.length)
        throw new ProviderServerError(this.id, `${ordered.length} embeddings came back for ${request.input.length} inputs`);
      return {
        embeddings: ordered.map((e) => e.embedding),
        inputTokens: tokens(data.usage?.prompt_tokens),
        model: data.model,
        latencyMs: scope.elapsedMs(),
        rateLimit: scope.rateLimit(),
        emulated: scope.emulated,
      };
    });
  }

  listModels(options?: CallOptions): Promise<ModelInfo[]> {
    return withScope(this.id, options, async (scope) => {
      const models: ModelInfo[] = [];
      for await (const m of this.client.models.list({ signal: scope.signal })) {
        const contextWindow = contextWindowOf(m);
        models.push(contextWindow !== undefined ? { id: m.id, contextWindow } : { id: m.id });
      }
      return models;
    });
  }

  health(options?: CallOptions): Promise<ProviderHealth> {
    return probeHealth(this.id, options, (signal) => this.client.models.list({ signal }));
  }
}
