import type { ProviderErrorKind } from '@margin/providers';
import type { SkipReason } from './router.service';

/** What became of one candidate model for one call: left out before anything was sent, sent and failed, or answered. */
export type AttemptOutcome =
  | { kind: 'skipped'; model: string; reason: SkipReason; detail?: string }
  /** `error`: the provider error's kind, or `error` for anything that is not a provider error. */
  | { kind: 'failed'; model: string; error: ProviderErrorKind | 'error'; detail: string }
  | { kind: 'ok'; model: string };

/** One outcome as one word, the way error messages, routing reasons and the ledger show it (`skipped:circuit-open`). */
export function outcomeLabel(outcome: AttemptOutcome): string {
  switch (outcome.kind) {
    case 'skipped':
      return `skipped:${outcome.reason}`;
    case 'failed':
      return outcome.error;
    case 'ok':
      return 'success';
  }
}

/** The outcomes in words, for a person: `ollama/qwen3:8b: skipped:circuit-open (…); openai/gpt-4o-mini: timeout (…)`. */
export function describeOutcomes(outcomes: readonly AttemptOutcome[]): string {
  return outcomes.map((o) => `${o.model}: ${outcomeLabel(o)}${o.kind !== 'ok' && o.detail ? ` (${o.detail})` : ''}`).join('; ');
}

/** Whether nothing was sent to any model (every candidate was skipped): no ledger row was written. */
export function nothingSent(outcomes: readonly AttemptOutcome[]): boolean {
  return outcomes.every((o) => o.kind === 'skipped');
}
