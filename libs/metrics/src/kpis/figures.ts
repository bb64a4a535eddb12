// The arithmetic of KPIs, roll-ups and time series, kept pure so that it is unit-tested on its own. Money is
// integer pico-dollars (bigint) throughout; it becomes a JSON number (6 decimals) only at the edge.
import { divRoundHalfUp, picoToDecimal, picoToUsd, type PicoUsd } from '@margin/core';

export type BucketUnit = 'day' | 'hour';

/** What one tenant did in one bucket (a day for the roll-up, a day or hour for the time series). */
export interface Figures {
  jobsCreated: number;
  jobsCompleted: number;
  itemsCompleted: number;
  itemsFailed: number;
  itemsCached: number;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  costPico: PicoUsd;
  savedPico: PicoUsd;
  revenuePico: PicoUsd;
  qualitySum: number;
  qualityCount: number;
}

export const emptyFigures = (): Figures => ({
  jobsCreated: 0,
  jobsCompleted: 0,
  itemsCompleted: 0,
  itemsFailed: 0,
  itemsCached: 0,
  llmCalls: 0,
  inputTokens: 0,
  outputTokens: 0,
  costPico: 0n,
  savedPico: 0n,
  revenuePico: 0n,
  qualitySum: 0,
  qualityCount: 0,
});

export function addFigures(a: Figures, b: Partial<Figures>): Figures {
  return {
    jobsCreated: a.jobsCreated + (b.jobsCreated ?? 0),
    jobsCompleted: a.jobsCompleted + (b.jobsCompleted ?? 0),
    itemsCompleted: a.itemsCompleted + (b.itemsCompleted ?? 0),
    itemsFailed: a.itemsFailed + (b.itemsFailed ?? 0),
    itemsCached: a.itemsCached + (b.itemsCached ?? 0),
    llmCalls: a.llmCalls + (b.llmCalls ?? 0),
    inputTokens: a.inputTokens + (b.inputTokens ?? 0),
    outputTokens: a.outputTokens + (b.outputTokens ?? 0),
    costPico: a.costPico + (b.costPico ?? 0n),
    savedPico: a.savedPico + (b.savedPico ?? 0n),
    revenuePico: a.revenuePico + (b.revenuePico ?? 0n),
    qualitySum: a.qualitySum + (b.qualitySum ?? 0),
    qualityCount: a.qualityCount + (b.qualityCount ?? 0),
  };
}

export const isEmpty = (f: Figures): boolean =>
  f.jobsCreated === 0 &&
  f.jobsCompleted === 0 &&
  f.itemsCompleted === 0 &&
  f.itemsFailed === 0 &&
  f.llmCalls === 0 &&
  f.costPico === 0n &&
  f.savedPico === 0n &&
  f.revenuePico === 0n &&
  f.qualityCount === 0;

const SCALE = 1_000_000n;

/** a ÷ b rounded to 6 decimals (half away from zero); null when b is 0. */
export function ratio(a: bigint | number, b: bigint | number): number | null {
  const den = BigInt(b);
  if (den === 0n) return null;
  return Number(divRoundHalfUp(BigInt(a) * SCALE * (den < 0n ? -1n : 1n), den < 0n ? -den : den)) / 1_000_000;
}

/** Return on investment: (revenue − cost) ÷ cost, null with the reason when nothing was spent. */
export function roi(revenuePico: PicoUsd, costPico: PicoUsd): { roi: number | null; reason: 'no_cost' | null } {
  if (costPico <= 0n) return { roi: null, reason: 'no_cost' };
  return { roi: ratio(revenuePico - costPico, costPico), reason: null };
}

/** USD per unit (cost per item, per post), 6 decimals; null when there are no units. */
export function perUnitUsd(pico: PicoUsd, units: number): number | null {
  if (units <= 0) return null;
  return picoToUsd(divRoundHalfUp(pico, BigInt(units)));
}

export const money = (pico: PicoUsd) => ({ usd: picoToUsd(pico), exact: picoToDecimal(pico) });

const UNIT_MS: Record<BucketUnit, number> = { day: 86_400_000, hour: 3_600_000 };

/** [from, to) widened to whole UTC buckets: from floored, to ceiled. */
export function alignRange(from: Date, to: Date, unit: BucketUnit): { from: Date; to: Date } {
  const ms = UNIT_MS[unit];
  const start = Math.floor(from.getTime() / ms) * ms;
  const end = Math.ceil(to.getTime() / ms) * ms;
  return { from: new Date(start), to: new Date(Math.max(end, start + ms)) };
}

/** Every bucket start of an aligned range, as ISO strings (`2026-12-01T00:00:00.000Z`). */
export function bucketStarts(from: Date, to: Date, unit: BucketUnit): string[] {
  const ms = UNIT_MS[unit];
  const out: string[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += ms) out.push(new Date(t).toISOString());
  return out;
}

/** `2026-12-01T00:00:00Z` (Postgres' to_char) or a Date → the ISO key bucketStarts uses. */
export const bucketKey = (t: string | Date): string => new Date(t).toISOString();

export const dayOf = (d: Date): string => d.toISOString().slice(0, 10);
export const startOfDay = (day: string): Date => new Date(`${day}T00:00:00.000Z`);
export const nextDay = (day: string): Date => new Date(startOfDay(day).getTime() + UNIT_MS.day);
