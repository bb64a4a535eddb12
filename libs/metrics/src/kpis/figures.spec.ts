import { addFigures, alignRange, bucketStarts, emptyFigures, isEmpty, perUnitUsd, ratio, roi } from './figures';

describe('roi', () => {
  it('is (revenue − cost) ÷ cost, rounded to 6 decimals', () => {
    expect(roi(3_000_000_000_000n, 1_000_000_000_000n)).toEqual({ roi: 2, reason: null });
    expect(roi(0n, 1_000_000_000_000n)).toEqual({ roi: -1, reason: null });
    expect(roi(1n, 3n)).toEqual({ roi: -0.666667, reason: null });
    expect(roi(500_000_000_000n, 1_000_000_000_000n)).toEqual({ roi: -0.5, reason: null });
  });

  it('is null with reason no_cost when nothing was spent, whatever the revenue', () => {
    expect(roi(5_000_000_000_000n, 0n)).toEqual({ roi: null, reason: 'no_cost' });
    expect(roi(0n, 0n)).toEqual({ roi: null, reason: 'no_cost' });
  });

  it('stays exact for tiny costs against large revenue (no float division)', () => {
    expect(roi(1_000_000_000_000_000n, 1n)).toEqual({ roi: 999999999999999, reason: null });
  });
});

describe('ratio and perUnitUsd', () => {
  it('divide with half-away-from-zero rounding, null on a zero denominator', () => {
    expect(ratio(1, 3)).toBe(0.333333);
    expect(ratio(2, 3)).toBe(0.666667);
    expect(ratio(-2, 3)).toBe(-0.666667);
    expect(ratio(5, 0)).toBeNull();
    expect(perUnitUsd(1_000_000_000_000n, 3)).toBe(0.333333);
    expect(perUnitUsd(1n, 0)).toBeNull();
  });
});

describe('roll-up arithmetic', () => {
  it('sums buckets exactly: 0.1 + 0.2 is 0.3 in pico-dollars', () => {
    const a = addFigures(emptyFigures(), { costPico: 100_000_000_000n, itemsCompleted: 2, qualitySum: 80, qualityCount: 1 });
    const b = addFigures(a, { costPico: 200_000_000_000n, itemsCompleted: 1, itemsCached: 1, qualitySum: 90.5, qualityCount: 1 });
    expect(b.costPico).toBe(300_000_000_000n);
    expect(b.itemsCompleted).toBe(3);
    expect(b.qualitySum / b.qualityCount).toBe(85.25);
    expect(isEmpty(emptyFigures())).toBe(true);
    expect(isEmpty(b)).toBe(false);
  });

  it('aligns ranges to whole UTC buckets and lists every bucket', () => {
    const r = alignRange(new Date('2026-12-01T10:30:00Z'), new Date('2026-12-03T00:00:00Z'), 'day');
    expect(r).toEqual({ from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-03T00:00:00Z') });
    expect(bucketStarts(r.from, r.to, 'day')).toEqual(['2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z']);
    const h = alignRange(new Date('2026-12-01T10:00:00Z'), new Date('2026-12-01T10:00:00.001Z'), 'hour');
    expect(bucketStarts(h.from, h.to, 'hour')).toEqual(['2026-12-01T10:00:00.000Z']);
  });
});
