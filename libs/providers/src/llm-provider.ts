// One interface for every model host: Ollama, OpenAI and OpenAI-compatible hosts, Anthropic.
import type { ChatMessage, JsonSchema, ProviderKind } from '@margin/contracts';

/** A function the model may call (OpenAI `tools[].function`, Anthropic `tools[]`, Ollama `tools[].function`). */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments (an object schema). */
  parameters: JsonSchema;
  /** OpenAI strict mode (ignored by hosts that have none). */
  strict?: boolean;
}

/** A call the model made: `arguments` is the JSON text of the arguments, as OpenAI sends it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** auto: the model decides; none: no call; required: at least one call; `{name}`: exactly that function. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/**
 * A message of a conversation that may involve tools: the plain ChatMessage, an assistant turn that called
 * tools (`toolCalls`, content possibly empty), or a tool's answer (`role: 'tool'`, `toolCallId`).
 */
export type LlmMessage =
  ChatMessage | { role: 'assistant'; content: string; toolCalls: ToolCall[] } | { role: 'tool'; content: string; toolCallId: string; name?: string };

/** Request fields an adapter may or may not be able to pass on (`LlmProvider.supports`). */
export type ProviderFeature = 'n' | 'stop' | 'logprobs' | 'seed' | 'user' | 'metadata' | 'parallelToolCalls' | 'serviceTier';

export interface ChatRequest {
  model: string;
  messages: LlmMessage[];
  temperature?: number;
  maxTokens?: number;
  /** When set, the answer must be JSON valid against this schema (`result.json`). */
  outputSchema?: { name: string; schema: JsonSchema };
  tools?: ToolDefinition[];
  /** Default: auto (when tools are given). */
  toolChoice?: ToolChoice;
  /** false: at most one tool call per turn. */
  parallelToolCalls?: boolean;
  /** How many alternative answers (only for adapters that support `n`; `result.choices`). */
  n?: number;
  stop?: string[];
  /** Log probabilities of the output tokens (`result.logprobs`), with this many alternatives each. */
  logprobs?: boolean;
  topLogprobs?: number;
  /** Best-effort determinism. */
  seed?: number;
  /** The end user, for the host's abuse monitoring. */
  user?: string;
  metadata?: Record<string, string>;
  serviceTier?: string;
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

/** One output token's log probability (OpenAI's `logprobs.content[]`). */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  topLogprobs: Array<{ token: string; logprob: number; bytes: number[] | null }>;
}

/** One answer of a call (a call with `n` > 1 has several). */
export interface ChatChoice {
  text: string;
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  logprobs?: TokenLogprob[];
}

export interface ChatResult {
  text: string;
  /** The calls the model made (finishReason `tool_use`). */
  toolCalls?: ToolCall[];
  /** Output-token log probabilities, when the request asked for them. */
  logprobs?: TokenLogprob[];
  /** Every answer when the request had `n` > 1 (the first is also `text`/`toolCalls`); usage covers them all. */
  choices?: ChatChoice[];
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

/**
 * A streamed tool-call piece: the first piece of a call carries its `id` and `name`, later ones more of
 * `arguments` (OpenAI's chunk format; `index` is the call's position in the turn).
 */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments: string;
}

export type ChatStreamEvent =
  { type: 'delta'; text: string; logprobs?: TokenLogprob[] } | { type: 'tool_call'; delta: ToolCallDelta } | { type: 'done'; result: ChatResult };

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
  /** The optional request fields this adapter passes on; a request using another one cannot be sent here. */
  readonly supports: ReadonlySet<ProviderFeature>;
  chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult>;
  /** Yields text and tool-call deltas, then exactly one `done` with the same result `chat` gives (usage included). */
  chatStream(request: ChatRequest, options?: CallOptions): AsyncIterable<ChatStreamEvent>;
  /** Embedding vectors; absent on hosts without an embeddings API (Anthropic). */
  embed?(request: EmbedRequest, options?: CallOptions): Promise<EmbedResult>;
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
