// Whether a call that could not run is worth waiting for, and until when, decided from typed errors and
// skip reasons (never from messages).
import {
  ContextTooLongError,
  InvalidOutputError,
  ProviderRateLimitedError,
  ProviderServerError,
  ProviderTimeoutError,
  ProviderUnavailableError,
  StreamInterruptedError,
} from '@margin/providers';
import type { CircuitPass } from '../limits/circuit-breaker';
import type { SkipReason } from './router.service';

/** A failed call to a host that is down, slow or overloaded: try again this soon unless its circuit says later. */
export const TRANSIENT_RETRY_MS = 5_000;
/** A rate limit that named no time. */
export const RATE_LIMIT_RETRY_MS = 1_000;
/** A half-open circuit whose probe is out reports within one call: look again this soon, not when the permit lapses. */
export const PROBE_RECHECK_MS = 2_000;

/** One candidate that could not take the call: `waitMs` set when the reason passes on its own. */
export interface Blocker {
  model: string;
  /** Milliseconds until this candidate may take a call again; null when waiting cannot help. */
  waitMs: number | null;
  /** The reason in words, for people. */
  reason: string;
  /** The failure says something about this input (invalid output after repair, too long): the item's own failure. */
  aboutInput?: boolean;
}

/** A provider's failure: transient (host down, slow, overloaded, rate-limited) or not. */
export function blockerFromError(model: string, err: unknown): Blocker {
  if (err instanceof ProviderRateLimitedError)
    return { model, waitMs: Math.max(1, err.retryAfterMs ?? RATE_LIMIT_RETRY_MS), reason: 'rate-limited by the provider' };
  if (err instanceof ProviderUnavailableError) return { model, waitMs: TRANSIENT_RETRY_MS, reason: `unreachable (${err.message})` };
  if (err instanceof ProviderTimeoutError) return { model, waitMs: TRANSIENT_RETRY_MS, reason: 'timed out' };
  if (err instanceof ProviderServerError) return { model, waitMs: TRANSIENT_RETRY_MS, reason: `server error${err.status ? ` ${err.status}` : ''}` };
  if (err instanceof StreamInterruptedError) return { model, waitMs: TRANSIENT_RETRY_MS, reason: 'the answer stream was cut' };
  if (err instanceof InvalidOutputError) return { model, waitMs: null, reason: 'invalid output', aboutInput: true };
  if (err instanceof ContextTooLongError) return { model, waitMs: null, reason: 'input too long for the model', aboutInput: true };
  return { model, waitMs: null, reason: err instanceof Error ? err.message : String(err) };
}

/** A candidate the router or the executor skipped before sending anything. */
export function blockerFromSkip(model: string, reason: SkipReason, detail: string, retryAfterMs?: number): Blocker {
  switch (reason) {
    case 'circuit-open':
    case 'rate-limit':
      return {
        model,
        waitMs: Math.max(1, retryAfterMs ?? TRANSIENT_RETRY_MS),
        reason: `${reason === 'circuit-open' ? 'circuit open' : 'rate limit'}: ${detail}`,
      };
    // An operator's choice or a property of the call: waiting does not change them.
    case 'disabled':
    case 'unknown-model':
    case 'plan':
    case 'context-window':
    case 'unsupported':
    case 'budget':
      return { model, waitMs: null, reason: `${reason}: ${detail}` };
    default: {
      const never: never = reason;
      return { model, waitMs: null, reason: String(never) };
    }
  }
}

/** A circuit that refused a call: open until it half-opens, or half-open with another caller's probe out. */
export function blockerFromCircuit(model: string, pass: CircuitPass): Blocker {
  const wait = pass.retryAfterMs ?? TRANSIENT_RETRY_MS;
  if (pass.state === 'half-open') return { model, waitMs: Math.max(1, Math.min(wait, PROBE_RECHECK_MS)), reason: 'circuit half-open, probe in flight' };
  return { model, waitMs: Math.max(1, wait), reason: `circuit open (half-opens in ${Math.ceil(wait / 1000)} s)` };
}

/**
 * The outage, when the call failed only for reasons that pass: at least one candidate will be back, and no
 * candidate failed because of the input itself. The earliest return wins: that candidate is tried first then.
 */
export function outageOf(blockers: readonly Blocker[]): { retryAfterMs: number; reason: string } | null {
  if (blockers.some((b) => b.aboutInput)) return null;
  const waits = blockers.map((b) => b.waitMs).filter((w): w is number => w !== null);
  if (waits.length === 0) return null;
  return { retryAfterMs: Math.min(...waits), reason: blockers.map((b) => `${b.model}: ${b.reason}`).join('; ') };
}
