// Ollama (local or ollama.com) through the `ollama` package: /api/chat (JSON or NDJSON stream), structured
// output through `format` = the JSON schema, usage from prompt_eval_count / eval_count.
import { Ollama, type ChatRequest as OllamaChatRequest, type ChatResponse as OllamaChatResponse } from 'ollama';
import type { ProviderKind } from '@margin/contracts';
import type {
  CallOptions,
  ChatRequest,
  ChatResult,
  ChatStreamEvent,
  EmbedRequest,
  EmbedResult,
  FinishReason,
  LlmProvider,
  ModelInfo,
  ProviderConnection,
  ProviderHealth,
} from '../llm-provider';
import { ProviderServerError } from '../provider-errors';
import { buildResult, planStructuredOutput, probeHealth, tokens, trimTrailingSlash, type AdapterOptions, type StructuredPlan } from './adapter-support';
import { scopedFetch, streamWithScope, withScope, type CallScope } from './call-scope';

function finishReason(doneReason: string | undefined): FinishReason {
  if (doneReason === 'stop') return 'stop';
  if (doneReason === 'length') return 'length';
  return 'other';
}

export class OllamaProvider implements LlmProvider {
  readonly id: string;
  readonly kind: ProviderKind = 'ollama';
  readonly baseUrl: string;
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

  private body(request: ChatRequest, plan: StructuredPlan | undefined): OllamaChatRequest {
    const options: NonNullable<OllamaChatRequest['options']> = {};
    if (request.temperature !== undefined) options.temperature = request.temperature;
    if (request.maxTokens !== undefined) options.num_predict = request.maxTokens;
    return {
      model: request.model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      ...(plan ? { format: plan.wireSchema } : {}),
      ...(this.keepAlive !== undefined ? { keep_alive: this.keepAlive } : {}),
      ...(Object.keys(options).length > 0 ? { options } : {}),
    };
  }

  private result(scope: CallScope, final: OllamaChatResponse, text: string, plan: StructuredPlan | undefined): ChatResult {
    return buildResult(scope, {
      text,
      json: plan ? plan.check(text) : undefined,
      usage: {
        inputTokens: tokens(final.prompt_eval_count),
        outputTokens: tokens(final.eval_count),
        cachedInputTokens: 0,
        reasoningTokens: 0,
      },
      model: final.model,
      finishReason: finishReason(final.done_reason),
    });
  }

  chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult> {
    return withScope(this.id, options, async (scope) => {
      const plan = planStructuredOutput(this.id, request, false);
      const response = await this.client().chat({ ...this.body(request, plan), stream: false });
      return this.result(scope, response, response.message.content, plan);
    });
  }

  chatStream(request: ChatRequest, options?: CallOptions): AsyncGenerator<ChatStreamEvent> {
    return streamWithScope(this.id, options, (scope) => this.streamed(scope, request));
  }

  /** The streamed call inside its scope: yields the deltas, returns the complete result. */
  private async *streamed(scope: CallScope, request: ChatRequest): AsyncGenerator<{ type: 'delta'; text: string }, ChatResult> {
    const plan = planStructuredOutput(this.id, request, false);
    const parts = await scope.run(() => this.client().chat({ ...this.body(request, plan), stream: true }));
    let text = '';
    let final: OllamaChatResponse | undefined;
    for await (const part of parts) {
      const piece = part.message.content;
      if (piece) {
        text += piece;
        yield { type: 'delta', text: piece };
      }
      if (part.done) final = part;
    }
    if (!final) throw scope.incomplete('the stream ended without its final (done) message');
    return this.result(scope, final, text, plan);
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
