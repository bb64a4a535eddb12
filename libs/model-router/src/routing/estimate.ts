import type { JsonSchema } from '@margin/contracts';

/** Default completion budget when a request sets none (also what is reserved against budgets). */
export const DEFAULT_MAX_TOKENS = 1024;

/**
 * A prompt-size estimate before the call (≈ 4 characters a token, plus per-message overhead). It only has
 * to be good enough to reserve rate-limit and budget headroom: the real usage settles both afterwards.
 */
export function estimateInputTokens(messages: ReadonlyArray<{ content: string }>, schema?: JsonSchema): number {
  const text = messages.reduce((n, m) => n + Math.ceil(m.content.length / 4) + 4, 3);
  return text + (schema ? Math.ceil(JSON.stringify(schema).length / 4) : 0);
}
