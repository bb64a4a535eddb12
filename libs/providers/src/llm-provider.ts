// One interface for every model host: Ollama, OpenAI and OpenAI-compatible hosts, Anthropic.
import type { ChatMessage, JsonSchema, ProviderKind } from '@margin/contracts';

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** When set, the answer must be JSON valid against this schema (`result.json`). */
  outputSchema?: { name: string; schema: JsonSchema };
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Whole-call deadline; past it the call fails with ProviderTimeoutError. */
  timeoutMs?: number;
}

export interface TokenUsage {
  /** Prompt tokens, including cached ones. */
  inputTokens: number;
  outputTokens: number;
  /** Of inputTokens, how many were served from the provider's prompt cache (billed at the cached rate). */
  cachedInputTokens: number;
  /** Of outputTokens, how many were hidden reasoning (billed as output). */
  reasoningTokens: number;
}

/** What the provider's rate-limit headers said (`x-ratelimit-*`, `anthropic-ratelimit-*`, `retry-after`). */
export interface RateLimitInfo {
  limitRequests?: number;
  remainingRequests?: number;
  resetRequestsMs?: number;
  limitTokens?: number;
  remainingTokens?: number;
  resetTokensMs?: number;
  retryAfterMs?: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_use' | 'content_filter' | 'other';

export interface ChatResult {
  text: string;
  /** The parsed, schema-valid answer when the request carried an output schema. */
  json?: unknown;
  usage: TokenUsage;
  /** The model that answered, as the provider names it. */
  model: string;
  latencyMs: number;
  finishReason: FinishReason;
  rateLimit: RateLimitInfo;
  /** True when the answer came from Margin's LLM emulator (it marks every response). */
  emulated: boolean;
}

export type ChatStreamEvent = { type: 'delta'; text: string } | { type: 'done'; result: ChatResult };

export interface EmbedRequest {
  model: string;
  /** One or more texts; the answer has one vector per text, in order. */
  input: string[];
  /** A shorter vector, for models that support it (OpenAI text-embedding-3, Matryoshka-trained Ollama models). */
  dimensions?: number;
}

export interface EmbedResult {
  /** float vectors, one per input, in input order */
  embeddings: number[][];
  /** Input tokens as the provider counted them (embeddings have no output tokens). */
  inputTokens: number;
  model: string;
  latencyMs: number;
  rateLimit: RateLimitInfo;
  emulated: boolean;
}

export interface ModelInfo {
  id: string;
  /** Context window in tokens, when the host reports it. */
  contextWindow?: number;
}

export interface ProviderHealth {
  healthy: boolean;
  latencyMs: number;
  emulated: boolean;
  error?: string;
}

export interface LlmProvider {
  readonly id: string;
  readonly kind: ProviderKind;
  readonly baseUrl: string;
  chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult>;
  /** Yields text deltas, then exactly one `done` with the same result `chat` gives (usage included). */
  chatStream(request: ChatRequest, options?: CallOptions): AsyncIterable<ChatStreamEvent>;
  /** Embedding vectors; absent on hosts without an embeddings API (Anthropic). */
  embed?(request: EmbedRequest, options?: CallOptions): Promise<EmbedResult>;
  listModels(options?: CallOptions): Promise<ModelInfo[]>;
  health(options?: CallOptions): Promise<ProviderHealth>;
}

export interface ProviderConnection {
  id: string;
  kind: ProviderKind;
  baseUrl: string;
  apiKey?: string;
  /** Ollama: how long the model stays loaded after a call (e.g. "30m"). */
  keepAlive?: string;
}

export const EMULATOR_HEADER = 'x-margin-emulator';
