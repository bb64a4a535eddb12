import { formatCount, formatPercent, formatUsd } from './money';

describe('formatUsd', () => {
  it('keeps up to 6 decimals for small amounts', () => {
    expect(formatUsd(0.000535)).toBe('$0.000535');
    expect(formatUsd(0.01487)).toBe('$0.01487');
    expect(formatUsd(0.5)).toBe('$0.50');
    expect(formatUsd(0)).toBe('$0.00');
  });

  it('rounds large amounts to cents', () => {
    expect(formatUsd(12.4)).toBe('$12.40');
    expect(formatUsd(1234.5678)).toBe('$1,234.57');
    expect(formatUsd(1)).toBe('$1.00');
  });

  it('falls back when there is no amount', () => {
    expect(formatUsd(null)).toBe('—');
    expect(formatUsd(undefined, 'No limit')).toBe('No limit');
  });
});

describe('formatCount and formatPercent', () => {
  it('formats counts with separators and fractions as percentages', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatPercent(0.8)).toBe('80%');
    expect(formatPercent(0.12345)).toBe('12.3%');
  });
});
