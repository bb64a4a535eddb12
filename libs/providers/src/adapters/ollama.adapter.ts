// Ollama (local or ollama.com) through the `ollama` package: /api/chat (JSON or NDJSON stream), structured
// output through `format` = the JSON schema, usage from prompt_eval_count / eval_count.
import { Ollama, type ChatRequest as OllamaChatRequest, type ChatResponse as OllamaChatResponse, type Message as OllamaMessage } from 'ollama';
import { randomBytes } from 'node:crypto';
import type { JsonSchema } from '@margin/contracts';
import type { ProviderKind } from '@margin/contracts';
import type {
  CallOptions,
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
  ToolCall,
  ToolDefinition,
} from '../llm-provider';
import { InvalidOutputError, ProviderServerError } from '../provider-errors';
import {
  buildResult,
  isAnyObjectSchema,
  planStructuredOutput,
  probeHealth,
  tokens,
  trimTrailingSlash,
  type AdapterOptions,
  type StructuredPlan,
} from './adapter-support';
import { scopedFetch, streamWithScope, withScope, type CallScope } from './call-scope';
import { argumentsObject, toolNameOf } from './tool-support';

/** `options.stop` and `options.seed`; Ollama has no `n`, end user, metadata, service tiers or one-call-per-turn switch. */
const SUPPORTS: ReadonlySet<ProviderFeature> = new Set<ProviderFeature>(['stop', 'seed']);

function wireMessage(providerId: string, m: LlmMessage, all: readonly LlmMessage[]): OllamaMessage {
  if (m.role === 'tool') {
    const name = m.name ?? toolNameOf(all, m.toolCallId);
    return { role: 'tool', content: m.content, ...(name ? { tool_name: name } : {}) };
  }
  if ('toolCalls' in m && m.toolCalls.length > 0) {
    return {
      role: 'assistant',
      content: m.content,
      tool_calls: m.toolCalls.map((c) => ({ function: { name: c.name, arguments: argumentsObject(providerId, c) } })),
    };
  }
  return { role: m.role, content: m.content };
}

/**
 * Ollama has no tool_choice: a call it must make (required, or one named function) is asked for as
 * structured output instead (`format` = the arguments' schema, or for "any of these" a `{name, arguments}`
 * union), and the JSON that comes back is the call.
 */
interface ForcedCall {
  format: JsonSchema;
  toCall: (text: string) => { name: string; arguments: string };
}

function forcedCall(providerId: string, tools: readonly ToolDefinition[], choice: ChatRequest['toolChoice']): ForcedCall | undefined {
  if (tools.length === 0 || choice === undefined || choice === 'auto' || choice === 'none') return undefined;
  const named = typeof choice === 'object' ? tools.find((t) => t.name === choice.name) : tools.length === 1 ? tools[0] : undefined;
  if (typeof choice === 'object' && !named) throw new InvalidOutputError(providerId, `tool_choice names ${choice.name}, which is not among the tools`, '', []);
  if (named) return { format: named.parameters, toCall: (text) => ({ name: named.name, arguments: text.trim() }) };
  return {
    format: {
      anyOf: tools.map((t) => ({
        type: 'object',
        properties: { name: { type: 'string', const: t.name }, arguments: t.parameters },
        required: ['name', 'arguments'],
        additionalProperties: false,
      })),
    },
    toCall: (text) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        throw new InvalidOutputError(providerId, 'the forced tool call is not JSON', text, ['not JSON']);
      }
      const p = parsed as { name?: unknown; arguments?: unknown };
      const tool = tools.find((t) => t.name === p.name);
      if (!tool) throw new InvalidOutputError(providerId, 'the forced tool call names no tool of the request', text, ['/name is not a tool']);
      return { name: tool.name, arguments: JSON.stringify(p.arguments ?? {}) };
    },
  };
}

/** Ollama gives tool calls no id: Margin names them by position (unique within the answer). */
function callId(index: number): string {
  return `call_${randomBytes(9).toString('hex')}${index}`;
}

function callsOf(response: OllamaChatResponse, offset: number): ToolCall[] {
  return (response.message.tool_calls ?? []).map((c, i) => ({
    id: callId(offset + i),
    name: c.function.name,
    arguments: JSON.stringify(c.function.arguments ?? {}),
  }));
}

function finishReason(doneReason: string | undefined): FinishReason {
  if (doneReason === 'stop') return 'stop';
  if (doneReason === 'length') return 'length';
  return 'other';
}

export class OllamaProvider implements LlmProvider {
  readonly id: string;
  readonly kind: ProviderKind = 'ollama';
  readonly baseUrl: string;
  readonly supports = SUPPORTS;
  private readonly keepAlive: string | undefined;
  private readonly config: ConstructorParameters<typeof Ollama>[0];

  constructor(connection: ProviderConnection, options: AdapterOptions = {}) {
    this.id = connection.id;
    this.baseUrl = trimTrailingSlash(connection.baseUrl);
    this.keepAlive = connection.keepAlive;
    const headers: Record<string, string> = { ...options.headers };
    // ollama.com's hosted API takes a bearer key; a local server ignores it
    if (connection.apiKey) headers['Authorization'] = `Bearer ${connection.apiKey}`;
    this.config = { host: this.baseUrl, fetch: scopedFetch(options.fetch), headers };
  }

  /**
   * A client per call: cheap (no connection state; sockets are pooled by fetch), and the package keeps every
   * stream that did not end with `done` in a list that only a new client drops.
   */
  private client(): Ollama {
    return new Ollama(this.config);
  }

  private body(request: ChatRequest, plan: StructuredPlan | undefined, forced: ForcedCall | undefined): OllamaChatRequest {
    const options: NonNullable<OllamaChatRequest['options']> = {};
    if (request.temperature !== undefined) options.temperature = request.temperature;
    if (request.maxTokens !== undefined) options.num_predict = request.maxTokens;
    if (request.stop?.length) options.stop = request.stop;
    if (request.seed !== undefined) options.seed = request.seed;
    const tools = request.toolChoice === 'none' || forced ? [] : (request.tools ?? []);
    const format = forced?.format ?? (plan && isAnyObjectSchema(plan.wireSchema) ? 'json' : plan?.wireSchema);
    return {
      model: request.model,
      messages: request.messages.map((m) => wireMessage(this.id, m, request.messages)),
      ...(tools.length > 0
        ? {
            tools: tools.map((t) => ({
              type: 'function',
              function: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), parameters: t.parameters as never },
            })),
          }
        : {}),
      ...(format ? { format } : {}),
      ...(this.keepAlive !== undefined ? { keep_alive: this.keepAlive } : {}),
      ...(Object.keys(options).length > 0 ? { options } : {}),
    };
  }

  private result(
    scope: CallScope,
    final: OllamaChatResponse,
    text: string,
    plan: StructuredPlan | undefined,
    calls: ToolCall[],
    forced: ForcedCall | undefined,
  ): ChatResult {
    if (forced && final.done_reason !== 'length') {
      calls = [{ id: callId(0), ...forced.toCall(text) }];
      text = '';
    }
    return buildResult(scope, {
      text,
      ...(calls.length > 0 ? { toolCalls: calls } : {}),
      json: plan && calls.length === 0 ? plan.check(text) : undefined,
      usage: {
        inputTokens: tokens(final.prompt_eval_count),
        outputTokens: tokens(final.eval_count),
        cachedInputTokens: 0,
        reasoningTokens: 0,
      },
      model: final.model,
      finishReason: calls.length > 0 ? 'tool_use' : finishReason(final.done_reason),
    });
  }

  chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult> {
    return withScope(this.id, options, async (scope) => {
      const plan = planStructuredOutput(this.id, request, false);
      const forced = forcedCall(this.id, request.tools ?? [], request.toolChoice);
      const response = await this.client().chat({ ...this.body(request, plan, forced), stream: false });
      return this.result(scope, response, response.message.content, plan, callsOf(response, 0), forced);
    });
  }

  chatStream(request: ChatRequest, options?: CallOptions): AsyncGenerator<ChatStreamEvent> {
    return streamWithScope(this.id, options, (scope) => this.streamed(scope, request));
  }

  /** The streamed call inside its scope: yields the deltas, returns the complete result. */
  private async *streamed(scope: CallScope, request: ChatRequest): AsyncGenerator<Exclude<ChatStreamEvent, { type: 'done' }>, ChatResult> {
    const plan = planStructuredOutput(this.id, request, false);
    const forced = forcedCall(this.id, request.tools ?? [], request.toolChoice);
    const parts = await scope.run(() => this.client().chat({ ...this.body(request, plan, forced), stream: true }));
    let text = '';
    let final: OllamaChatResponse | undefined;
    const calls: ToolCall[] = [];
    for await (const part of parts) {
      const piece = part.message.content;
      if (piece) {
        text += piece;
        // a forced call's JSON is the call's arguments, sent as one piece once complete
        if (!forced) yield { type: 'delta', text: piece };
      }
      // Ollama sends each tool call whole, in one message
      for (const call of callsOf(part, calls.length)) {
        yield { type: 'tool_call', delta: { index: calls.length, id: call.id, name: call.name, arguments: call.arguments } };
        calls.push(call);
      }
      if (part.done) final = part;
    }
    if (!final) throw scope.incomplete('the stream ended without its final (done) message');
    const result = this.result(scope, final, text, plan, calls, forced);
    if (forced)
      for (const [index, c] of (result.toolCalls ?? []).entries())
        yield { type: 'tool_call', delta: { index, id: c.id, name: c.name, arguments: c.arguments } };
    if (forced && !result.toolCalls && text) yield { type: 'delta', text };
    return result;
  }

  /** /api/embed: one vector per input, prompt_eval_count as the input tokens. */
  embed(request: EmbedRequest, options?: CallOptions): Promise<EmbedResult> {
    return withScope(this.id, options, async (scope) => {
      const response = await this.client().embed({
        model: request.model,
        input: request.input,
        ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
        ...(this.keepAlive !== undefined ? { keep_alive: this.keepAlive } : {}),
      });
      if (response.embeddings.length !== request.input.length) {
        throw new ProviderServerError(this.id, `${response.embeddings.length} embeddings came back for ${request.input.length} inputs`);
      }
      return {
        embeddings: response.embeddings,
        inputTokens: tokens((response as { prompt_eval_count?: number }).prompt_eval_count),
        model: response.model,
        latencyMs: scope.elapsedMs(),
        rateLimit: scope.rateLimit(),
        emulated: scope.emulated,
      };
    });
  }

  listModels(options?: CallOptions): Promise<ModelInfo[]> {
    return withScope(this.id, options, async () => {
      const { models } = await this.client().list();
      return models.map((m) => ({ id: m.name }));
    });
  }

  health(options?: CallOptions): Promise<ProviderHealth> {
    return probeHealth(this.id, options, () => this.client().version());
  }
}
