import { COMPACT_MIN_INTERVAL_MS, COMPACT_QUIET_MS, MemoryCompactor } from './memory-compactor';

describe('MemoryCompactor', () => {
  const g = globalThis as { gc?: unknown };
  const saved = g.gc;
  let now = 0;
  let collect: jest.Mock;

  beforeEach(() => {
    jest.useFakeTimers();
    now = 0;
    collect = jest.fn();
    g.gc = collect;
  });
  afterEach(() => {
    jest.useRealTimers();
    g.gc = saved;
  });

  const advance = async (ms: number) => {
    now += ms;
    await jest.advanceTimersByTimeAsync(ms);
  };

  it('collects once, a quiet moment after the last of a run of bursts, with a full (major) collection', async () => {
    const c = new MemoryCompactor(() => now);
    c.compactSoon();
    await advance(COMPACT_QUIET_MS - 100);
    c.compactSoon(); // another burst: the wait starts again
    await advance(COMPACT_QUIET_MS - 100);
    expect(collect).not.toHaveBeenCalled();
    await advance(200);
    expect(collect).toHaveBeenCalledTimes(2); // one compaction: two passes
    expect(collect).toHaveBeenCalledWith(); // no options: the forced collection that also shrinks the heap
  });

  it('never collects more often than COMPACT_MIN_INTERVAL_MS, and not at all when nothing asked', async () => {
    const c = new MemoryCompactor(() => now);
    await advance(COMPACT_MIN_INTERVAL_MS * 2);
    expect(collect).not.toHaveBeenCalled();
    c.compactSoon();
    await advance(COMPACT_QUIET_MS);
    expect(collect).toHaveBeenCalledTimes(2);
    c.compactSoon();
    await advance(COMPACT_QUIET_MS);
    expect(collect).toHaveBeenCalledTimes(2); // too soon after the first
    await advance(COMPACT_MIN_INTERVAL_MS);
    expect(collect).toHaveBeenCalledTimes(4);
  });

  it('a pending collection is dropped when the app shuts down', async () => {
    const c = new MemoryCompactor(() => now);
    c.compactSoon();
    c.onModuleDestroy();
    await advance(COMPACT_QUIET_MS * 2);
    expect(collect).not.toHaveBeenCalled();
  });
});
