import { ManualClock } from '../time/clock';
import { ttlCache } from './ttl-cache';

describe('ttlCache', () => {
  it('serves an entry until its time to live has passed on the given clock', () => {
    const clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
    const cache = ttlCache<string, string>({ max: 10, ttlMs: 1000, clock });
    cache.set('a', 'x');
    clock.advance(1000);
    expect(cache.get('a')).toBe('x');
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
  });

  it('drops the least recently used entry when full, not every entry', () => {
    const cache = ttlCache<string, number>({ max: 2, ttlMs: 60_000 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect([...cache.keys()].sort()).toEqual(['a', 'c']);
  });

  it('loads a missing entry once for concurrent callers', async () => {
    let loads = 0;
    const cache = ttlCache<string, string>({
      max: 10,
      ttlMs: 60_000,
      fetchMethod: async (key) => {
        loads++;
        await new Promise((r) => setImmediate(r));
        return `v:${key}`;
      },
    });
    const [a, b] = await Promise.all([cache.fetch('k'), cache.fetch('k')]);
    expect([a, b, loads]).toEqual(['v:k', 'v:k', 1]);
  });
});
