import { formatDuration } from './duration';

describe('formatDuration', () => {
  it('reads seconds, minutes and hours', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(44.6)).toBe('45 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(7_800)).toBe('2 h 10 min');
    expect(formatDuration(7_200)).toBe('2 h');
  });

  it('falls back when there is no duration', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(undefined, 'Unknown')).toBe('Unknown');
    expect(formatDuration(-1)).toBe('—');
  });
});
