import { batchWaitMs, chunkRequests, deadlineAllowsBatch, dueGroups, type QueuedGroup } from './batch-policy';

const NOW = new Date('2026-12-02T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const group = (modelId: string, count: number, ageMs: number): QueuedGroup => ({
  providerId: modelId.split('/')[0] as string,
  modelId,
  count,
  oldestAt: ago(ageMs),
});

describe('batch flush policy', () => {
  const policy = { maxRequests: 100, maxAgeMs: 60_000 };

  it('flushes a queue when it is full or its oldest request is old enough, full ones first, then the oldest', () => {
    const groups = [group('openai/young', 5, 1_000), group('openai/old', 5, 61_000), group('anthropic/full', 100, 10), group('openai/older', 1, 120_000)];
    expect(dueGroups(groups, NOW, policy).map((g) => g.modelId)).toEqual(['anthropic/full', 'openai/older', 'openai/old']);
  });

  it('waits while a queue is neither full nor old, and never flushes an empty one', () => {
    expect(dueGroups([group('openai/a', 99, 59_999), group('openai/b', 0, 1e9)], NOW, policy)).toEqual([]);
    expect(dueGroups([group('openai/a', 1, 0)], NOW, { maxRequests: 100, maxAgeMs: 0 })).toHaveLength(1);
  });

  it('cuts requests into batches by count and by bytes, in order', () => {
    const sizes = [10, 10, 10, 10, 10];
    expect(chunkRequests(sizes, (n) => n, { maxRequests: 2, maxBytes: 1_000 })).toEqual([[10, 10], [10, 10], [10]]);
    // 11 bytes each with the newline: three fit in 33, the fourth starts a new batch
    expect(chunkRequests(sizes, (n) => n, { maxRequests: 100, maxBytes: 33 }).map((c) => c.length)).toEqual([3, 2]);
    // one request larger than the limit goes alone (the provider will say why)
    expect(chunkRequests([5, 500, 5], (n) => n, { maxRequests: 100, maxBytes: 100 })).toEqual([[5], [500], [5]]);
    expect(chunkRequests([], (n: number) => n, { maxRequests: 1, maxBytes: 1 })).toEqual([]);
  });

  it('allows the tier for deferrable work without a deadline, and for a deadline at least the window away', () => {
    expect(deadlineAllowsBatch(null, NOW, 86_400)).toBe(true);
    expect(deadlineAllowsBatch(new Date(NOW.getTime() + 86_400_000), NOW, 86_400)).toBe(true);
    expect(deadlineAllowsBatch(new Date(NOW.getTime() + 86_399_999), NOW, 86_400)).toBe(false);
    expect(deadlineAllowsBatch(new Date(NOW.getTime() - 1), NOW, 0)).toBe(false);
  });

  it('lets an item look at its batch again at a doubling interval, capped', () => {
    expect([0, 1, 2, 3].map((w) => batchWaitMs(1_000, w))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(batchWaitMs(1_000, 50)).toBe(20_000);
    expect(batchWaitMs(60_000, 10)).toBe(600_000);
  });
});
