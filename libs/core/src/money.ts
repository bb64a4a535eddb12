// Money is exact: integer pico-dollars (1e-12 USD) as bigint. A price of X USD per million tokens is
// X * 1e6 micro-dollars per million tokens, which is exactly X * 1e6 pico-dollars per token, so token costs
// need no rounding at all and sums of per-call costs are exact.

export type PicoUsd = bigint;

export const PICO_PER_USD = 1_000_000_000_000n;

/** "0.15", "2.5", "0.000001" → pico-dollars. Rejects more than 12 decimals instead of rounding. */
export function usdToPico(usd: string | number): PicoUsd {
  const text = typeof usd === 'number' ? numberToPlain(usd) : usd.trim();
  const match = /^(-)?(\d+)(?:\.(\d{1,12}))?$/.exec(text);
  if (!match) throw new RangeError(`not a USD amount with at most 12 decimals: "${text}"`);
  const [, sign, whole, fraction = ''] = match;
  const value = BigInt(whole) * PICO_PER_USD + BigInt(fraction.padEnd(12, '0'));
  return sign ? -value : value;
}

function numberToPlain(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite amount: ${n}`);
  // Up to 12 decimals, without exponent notation; trailing zeros trimmed.
  return n.toFixed(12).replace(/\.?0+$/, '');
}

/** Exact decimal string with 12 decimals, e.g. "0.000000150000" (for numeric columns). */
export function picoToDecimal(pico: PicoUsd): string {
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const whole = abs / PICO_PER_USD;
  const fraction = (abs % PICO_PER_USD).toString().padStart(12, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** Rounded half away from zero to `decimals` places, as a JSON number (the API shows up to 6 decimals). */
export function picoToUsd(pico: PicoUsd, decimals = 6): number {
  const step = 10n ** BigInt(12 - decimals);
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const rounded = ((abs + step / 2n) / step) * step;
  return Number(picoToDecimal(negative ? -rounded : rounded));
}

/** Integer division rounding half up (for the few costs that are not whole pico-dollars: amortized GPU time). */
export function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  return numerator >= 0n ? (numerator * 2n + denominator) / (denominator * 2n) : -((-numerator * 2n + denominator) / (denominator * 2n));
}
