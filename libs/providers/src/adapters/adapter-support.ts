// Small pieces the three adapters share.
import type { ChatMessage, JsonSchema } from '@margin/contracts';
import type {
  CallOptions,
  ChatChoice,
  LlmMessage,
  ChatRequest,
  ChatResult,
  FinishReason,
  ProviderHealth,
  TokenLogprob,
  TokenUsage,
  ToolCall,
} from '../llm-provider';
import { ProviderAbortedError } from '../provider-errors';
import { objectRootSchema, prepareStructuredOutput, type StructuredOutputCheck } from '../structured-output';
import { CallScope } from './call-scope';

/** Extra, non-contract settings for an adapter (tests, special hosts). */
export interface AdapterOptions {
  /** Headers sent with every request (e.g. `x-emulator-fault` in tests, an OpenRouter `HTTP-Referer`). */
  headers?: Record<string, string>;
  /** The fetch to use underneath (default: `fastFetch`, undici pooled requests; see core's net/http-transport.ts). */
  fetch?: typeof fetch;
}

/** Some SDKs refuse to start without a key; keyless hosts (local vLLM, the emulator) ignore this one. */
export const NO_API_KEY = 'no-api-key';

/** Health checks without a deadline of their own get this one. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 10_000;

export function trimTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** A name OpenAI (json_schema.name) and Anthropic (tool name) accept: [a-zA-Z0-9_-]{1,64}. */
export function wireSchemaName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
  return clean.length > 0 ? clean : 'output';
}

/** How an adapter sends the output schema and checks the answer. */
export interface StructuredPlan {
  name: string;
  /** The schema as sent (wrapped in `{ value }` when the host needs an object root). */
  wireSchema: JsonSchema;
  /** Parses + validates the answer text (or an already-parsed value) and returns the caller's JSON. */
  check: (text: string, parsed?: { parsed: unknown }) => unknown;
}

/** Compiles the schema before the call (ProviderBadRequestError when broken). */
export function planStructuredOutput(providerId: string, request: ChatRequest, needsObjectRoot: boolean): StructuredPlan | undefined {
  const output = request.outputSchema;
  if (!output) return undefined;
  const { schema: wireSchema, unwrap } = needsObjectRoot ? objectRootSchema(output.schema) : { schema: output.schema, unwrap: (v: unknown) => v };
  const check: StructuredOutputCheck = prepareStructuredOutput(providerId, wireSchema);
  return { name: wireSchemaName(output.name), wireSchema, check: (text, parsed) => unwrap(check(text, parsed)) };
}

/** `{type: "object"}` and nothing more: any JSON object (OpenAI's json_object, Ollama's `format: "json"`). */
export function isAnyObjectSchema(schema: JsonSchema): boolean {
  return schema['type'] === 'object' && Object.keys(schema).every((k) => k === 'type' || k === '$schema');
}

export function systemText(messages: readonly (ChatMessage | LlmMessage)[]): string | undefined {
  const parts = messages.filter((m) => m.role === 'system').map((m) => m.content);
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}

export interface ResultParts {
  text: string;
  toolCalls?: ToolCall[];
  logprobs?: TokenLogprob[];
  choices?: ChatChoice[];
  json?: unknown;
  usage: TokenUsage;
  model: string;
  finishReason: FinishReason;
}

/** The ChatResult of a finished call (latency, rate limits and the emulated flag come from the scope). */
export function buildResult(scope: CallScope, parts: ResultParts): ChatResult {
  return {
    text: parts.text,
    ...(parts.toolCalls ? { toolCalls: parts.toolCalls } : {}),
    ...(parts.logprobs ? { logprobs: parts.logprobs } : {}),
    ...(parts.choices ? { choices: parts.choices } : {}),
    ...(parts.json !== undefined ? { json: parts.json } : {}),
    usage: parts.usage,
    model: parts.model,
    latencyMs: scope.elapsedMs(),
    finishReason: parts.finishReason,
    rateLimit: scope.rateLimit(),
    emulated: scope.emulated,
  };
}

/** Non-negative integer token count (missing / null → 0). */
export function tokens(n: number | null | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

/**
 * Runs a health probe: healthy when it answers, unhealthy (never thrown) when it fails or passes the
 * deadline (default DEFAULT_HEALTH_TIMEOUT_MS). Only the caller's own abort is thrown (ProviderAbortedError).
 */
export async function probeHealth(
  providerId: string,
  options: CallOptions | undefined,
  probe: (signal: AbortSignal) => Promise<unknown>,
): Promise<ProviderHealth> {
  const scope = new CallScope(providerId, { ...options, timeoutMs: options?.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS });
  try {
    scope.throwIfAborted();
    await scope.run(() => probe(scope.signal));
    return { healthy: true, latencyMs: scope.elapsedMs(), emulated: scope.emulated };
  } catch (e) {
    const error = scope.fail(e);
    if (error instanceof ProviderAbortedError) throw error;
    return { healthy: false, latencyMs: scope.elapsedMs(), emulated: scope.emulated, error: error.message };
  } finally {
    scope.dispose();
  }
}
