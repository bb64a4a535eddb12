/**
 * Token accounting shared by every protocol.
 *
 * The emulator has no tokenizer, so it uses one simple, documented rule everywhere:
 * a token is 4 UTF-16 code units of text, rounded up. The same function counts the
 * prompt and the completion, so one request reports the same usage on every protocol.
 *
 * prompt tokens = PROMPT_PRIMING_TOKENS
 *               + Σ over messages (countTokens(text) + MESSAGE_OVERHEAD_TOKENS + images × IMAGE_TOKENS)
 *               + Σ over JSON schemas the request carries (countTokens(canonicalJson(schema)))
 */

export const CHARS_PER_TOKEN = 4;
export const MESSAGE_OVERHEAD_TOKENS = 4;
export const PROMPT_PRIMING_TOKENS = 3;
export const IMAGE_TOKENS = 85;

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface PromptMessage {
  role: Role;
  text: string;
  /** number of images attached to the message */
  images: number;
}

export interface PromptShape {
  messages: readonly PromptMessage[];
  /** canonical JSON texts of schemas (response schema, tool input schemas) sent with the request */
  schemaTexts: readonly string[];
}

/** Number of tokens in a piece of text: ceil(length / 4). */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Tokens of a single message, including the per-message overhead. */
export function countMessageTokens(message: PromptMessage): number {
  return countTokens(message.text) + MESSAGE_OVERHEAD_TOKENS + message.images * IMAGE_TOKENS;
}

/** Tokens of a whole prompt (messages plus the schemas it carries). */
export function countPromptTokens(prompt: PromptShape): number {
  let total = PROMPT_PRIMING_TOKENS;
  for (const m of prompt.messages) total += countMessageTokens(m);
  for (const s of prompt.schemaTexts) total += countTokens(s);
  return total;
}

/** The longest prefix of `text` that is at most `maxTokens` tokens long. */
export function truncateToTokens(text: string, maxTokens: number): string {
  if (maxTokens <= 0) return '';
  const maxChars = maxTokens * CHARS_PER_TOKEN;
  return text.length <= maxChars ? text : text.slice(0, maxChars);
}

/**
 * Canonical JSON: object keys sorted, no whitespace. Used to count schema tokens and to
 * derive deterministic seeds, so key order in a request never changes the outcome.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
