import { divRoundHalfUp, picoToDecimal, picoToUsd, usdToPico } from './money';

describe('money', () => {
  it('parses USD exactly to pico-dollars', () => {
    expect(usdToPico('0.15')).toBe(150_000_000_000n);
    expect(usdToPico('2.5')).toBe(2_500_000_000_000n);
    expect(usdToPico('0.000000000001')).toBe(1n);
    expect(usdToPico(0.075)).toBe(75_000_000_000n);
    expect(() => usdToPico('0.0000000000001')).toThrow(RangeError);
    expect(() => usdToPico('1e-3')).toThrow(RangeError);
  });

  it('formats exactly for storage and rounds half up to 6 decimals for the API', () => {
    expect(picoToDecimal(150n)).toBe('0.000000000150');
    expect(picoToDecimal(-1_500_000_000_000n)).toBe('-1.500000000000');
    expect(picoToUsd(1_234_500_000n)).toBe(0.001235);
    expect(picoToUsd(1_234_499_999n)).toBe(0.001234);
    expect(picoToUsd(0n)).toBe(0);
  });

  it('divides rounding half up', () => {
    expect(divRoundHalfUp(5n, 2n)).toBe(3n);
    expect(divRoundHalfUp(4n, 3n)).toBe(1n);
    expect(divRoundHalfUp(-5n, 2n)).toBe(-3n);
  });
});
