import type { CostSummary } from '@margin/contracts';

export interface DaySpend {
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** Short label for the axis, e.g. "Nov 3". */
  label: string;
  costUsd: number;
  calls: number;
}

const DAY_MS = 86_400_000;
const label = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

function utcMidnight(iso: string): number {
  const date = new Date(iso);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

/**
 * One entry per day from the start of the period to the summary's end, zero where nothing was spent
 * (the API only returns days with calls).
 */
export function spendByDay(summary: CostSummary, periodStart: string): DaySpend[] {
  const byDay = new Map(summary.rows.map((row) => [row.key.slice(0, 10), row]));
  const first = utcMidnight(periodStart);
  // `to` is exclusive: a period ending at midnight does not include that day.
  const last = utcMidnight(new Date(new Date(summary.to).getTime() - 1).toISOString());
  const days: DaySpend[] = [];
  for (let at = first; at <= last && days.length < 366; at += DAY_MS) {
    const day = new Date(at).toISOString().slice(0, 10);
    const row = byDay.get(day);
    days.push({ day, label: label.format(at), costUsd: row?.costUsd ?? 0, calls: row?.calls ?? 0 });
  }
  return days;
}
