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
  listModels(options?: CallOptions): Promise<ModelInfo[]>;
  health(options?: CallOptions): Promise<ProviderHealth>;
  /** The provider's batch API, when it has one (OpenAI, Anthropic). */
  readonly batch?: BatchApi;
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

/** One request of a provider batch: `customId` names it in the results (unique within the batch, [A-Za-z0-9_-]{1,64}). */
export interface BatchEntry {
  customId: string;
  request: ChatRequest;
}

export interface BatchStatus {
  remoteId: string;
  /** `ended` once results can be read (completed, expired, cancelled or failed at the provider). */
  state: 'in_progress' | 'ended';
  /** The provider's own status word (OpenAI `completed`, `expired`…; Anthropic `ended`…). */
  detail: string;
}

/** One request's fate in an ended batch. `retryable` failures may be run again (live, or in another batch). */
export type BatchItemResult =
  | { customId: string; outcome: 'succeeded'; result: ChatResult }
  | { customId: string; outcome: 'errored' | 'expired' | 'canceled' | 'invalid_output'; error: string; retryable: boolean };

/** A provider's deferred tier (OpenAI Batch API, Anthropic Message Batches): half price, answers within 24 h. */
export interface BatchApi {
  submit(entries: BatchEntry[], options?: CallOptions & { metadata?: Record<string, string> }): Promise<{ remoteId: string }>;
  status(remoteId: string, options?: CallOptions): Promise<BatchStatus>;
  /** The results of an ended batch; every entry of `requests` gets exactly one (missing ones are `expired`). */
  results(remoteId: string, requests: ReadonlyMap<string, ChatRequest>, options?: CallOptions): Promise<BatchItemResult[]>;
  cancel(remoteId: string, options?: CallOptions): Promise<void>;
}
