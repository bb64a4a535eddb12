// Money arrives as USD numbers with up to 6 decimals. Small amounts keep every significant decimal
// ($0.000535), larger ones read like prices ($12.40).
const large = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const small = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 6,
});
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 0 });

export function formatUsd(value: number | null | undefined, fallback = '—'): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return fallback;
  return Math.abs(value) >= 1 ? large.format(value) : small.format(value);
}

export function formatCount(value: number | null | undefined, fallback = '—'): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return fallback;
  return integer.format(value);
}

/** 128000 → "128K": for context windows and other big round numbers. */
export function formatCompact(value: number | null | undefined, fallback = '—'): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return fallback;
  return compact.format(value);
}

/** A fraction (0.8) as a percentage ("80%"), with at most `digits` decimals. */
export function formatPercent(fraction: number, digits = 1): string {
  const percent = fraction * 100;
  return `${Number(percent.toFixed(digits)).toString()}%`;
}
