import { LOOKAHEAD_BUFFER, lookaheadFor, PREFETCH_FACTOR } from './lookahead';

describe('lookaheadFor', () => {
  it('is what the workers hold plus a buffer of twice their slots', () => {
    expect(PREFETCH_FACTOR).toBe(2);
    expect(LOOKAHEAD_BUFFER).toBe(2);
    const workers = [
      { concurrency: 5, queues: ['maintenance', 'analysis'] },
      { concurrency: 5, queues: ['analysis'] },
    ];
    expect(lookaheadFor(workers, 'analysis')).toBe(20 + 20);
    expect(lookaheadFor([{ concurrency: 1, queues: ['analysis'] }], 'analysis')).toBe(4);
  });

  it('counts only workers of the queue; none gives 0 (items wait in the fair queue)', () => {
    expect(lookaheadFor([], 'analysis')).toBe(0);
    expect(lookaheadFor([{ concurrency: 8, queues: ['maintenance'] }], 'analysis')).toBe(0);
  });

  it('a heartbeat with a nonsensical concurrency counts as one slot', () => {
    expect(
      lookaheadFor(
        [
          { concurrency: 0, queues: ['analysis'] },
          { concurrency: Number.NaN, queues: ['analysis'] },
        ],
        'analysis',
      ),
    ).toBe(4 + 4);
  });
});
