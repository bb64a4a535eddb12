import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';

/** Timings of the publishing worker (tests shorten them). */
export abstract class PublishingSettings {
  /** How long a claimed delivery is its worker's; past it the sweep re-checks the remote and resolves it. */
  abstract readonly leaseMs: number;
  abstract readonly backoff: BackoffPolicy;
  /** How often the sweep looks for stuck deliveries and lost queue entries. */
  abstract readonly sweepEveryMs: number;
  /** How often published copies are read back (sync back), and how stale a copy's last read may be. */
  abstract readonly syncEveryMs: number;
}

export const DEFAULT_PUBLISHING_SETTINGS: PublishingSettings = Object.freeze({
  leaseMs: 2 * 60_000,
  backoff: DEFAULT_BACKOFF,
  sweepEveryMs: 30_000,
  syncEveryMs: 5 * 60_000,
});
