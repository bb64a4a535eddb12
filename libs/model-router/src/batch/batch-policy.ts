// The batch tier's rules that need no I/O: when a model's queued requests are flushed into a provider batch, how
// they are cut into batches the provider accepts, whether a deadline allows the tier, how long an item waits.

export interface FlushPolicy {
  /** Flush as soon as a model has this many queued requests. */
  maxRequests: number;
  /** Flush a model's queue once its oldest request has waited this long (ms). */
  maxAgeMs: number;
}

export interface QueuedGroup {
  providerId: string;
  modelId: string;
  count: number;
  oldestAt: Date;
}

/** The providers' own limits per batch: OpenAI 50,000 requests (200 MB), Anthropic 100,000 (256 MB). */
export const PROVIDER_BATCH_LIMITS: Record<string, { maxRequests: number; maxBytes: number }> = {
  openai: { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 },
  anthropic: { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 },
};

/** The groups due for a flush now: full enough, or waited long enough. Full ones first, then the oldest. */
export function dueGroups(groups: readonly QueuedGroup[], now: Date, policy: FlushPolicy): QueuedGroup[] {
  return groups
    .filter((g) => g.count > 0 && (g.count >= policy.maxRequests || now.getTime() - g.oldestAt.getTime() >= policy.maxAgeMs))
    .sort((a, b) => Number(b.count >= policy.maxRequests) - Number(a.count >= policy.maxRequests) || a.oldestAt.getTime() - b.oldestAt.getTime());
}

/**
 * Cuts requests (in queue order, with their serialized sizes) into batches of at most `maxRequests` requests and
 * `maxBytes` bytes. A single request larger than `maxBytes` gets a batch of its own (the provider will say why).
 */
export function chunkRequests<T>(requests: readonly T[], sizeOf: (r: T) => number, limits: { maxRequests: number; maxBytes: number }): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const r of requests) {
    const size = sizeOf(r) + 1; // the newline
    if (current.length > 0 && (current.length >= limits.maxRequests || bytes + size > limits.maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Whether work due at `deadline` may go through the batch tier at `now`: a deferrable job without a deadline
 * always may; one with a deadline only while at least `minWindowSeconds` remain (the providers answer within
 * 24 h, so that is the default).
 */
export function deadlineAllowsBatch(deadline: Date | null, now: Date, minWindowSeconds: number): boolean {
  if (deadline === null) return true;
  return deadline.getTime() - now.getTime() >= minWindowSeconds * 1000;
}

/** How long an item waits before it looks at its batch again: doubling from the poll interval, capped. */
export function batchWaitMs(pollIntervalMs: number, batchWaits: number): number {
  const cap = Math.max(pollIntervalMs, Math.min(10 * 60_000, 20 * pollIntervalMs));
  return Math.min(cap, pollIntervalMs * 2 ** Math.max(0, Math.min(batchWaits, 20)));
}

/** A request that expired in its batch is batched again while the deadline allows and it has rounds left. */
export const MAX_BATCH_ROUNDS = 2;
