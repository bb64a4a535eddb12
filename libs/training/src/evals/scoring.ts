// How an eval item's answer is scored: song-analysis against the expected review; anything else by a judge.
import type { EvalRunTotals, EvalScores } from '@margin/contracts';

export interface SongExpectation {
  verdict: string;
  score: number;
  /** Concern categories (strings, or concerns with a `category`). */
  concerns: unknown[];
}

function categories(concerns: unknown): Set<string> {
  const out = new Set<string>();
  if (!Array.isArray(concerns)) return out;
  for (const c of concerns) {
    if (typeof c === 'string') out.add(c);
    else if (typeof c === 'object' && c !== null && typeof (c as { category?: unknown }).category === 'string') out.add((c as { category: string }).category);
  }
  return out;
}

/** F1 of two sets; both empty is full agreement (the song has no concerns, and the model found none). */
export function setF1(predicted: ReadonlySet<string>, expected: ReadonlySet<string>): number {
  if (predicted.size === 0 && expected.size === 0) return 1;
  let hit = 0;
  for (const p of predicted) if (expected.has(p)) hit++;
  if (hit === 0) return 0;
  const precision = hit / predicted.size;
  const recall = hit / expected.size;
  return (2 * precision * recall) / (precision + recall);
}

export function isSongExpectation(v: unknown): v is SongExpectation {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e['verdict'] === 'string' && typeof e['score'] === 'number' && (e['concerns'] === undefined || Array.isArray(e['concerns']));
}

/**
 * A song review against the expected one: verdict agreement (0 or 1), the score's absolute error (0–100) and
 * the concern categories' F1. Quality (0–100) weighs them half, a quarter, a quarter: the verdict is what a
 * music service acts on.
 */
export function scoreSongReview(output: unknown, expected: SongExpectation): { scores: EvalScores; quality: number } {
  const out = (typeof output === 'object' && output !== null ? output : {}) as Record<string, unknown>;
  const verdictAgreement = out['verdict'] === expected.verdict ? 1 : 0;
  const score = typeof out['score'] === 'number' ? out['score'] : null;
  const scoreError = score === null ? 100 : Math.min(100, Math.abs(score - expected.score));
  const concernF1 = setF1(categories(out['concerns']), categories(expected.concerns ?? []));
  const quality = 100 * (0.5 * verdictAgreement + 0.25 * (1 - scoreError / 100) + 0.25 * concernF1);
  return { scores: { verdictAgreement, scoreError, concernF1: round(concernF1, 4) }, quality: round(quality, 2) };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** A run's totals from its items. Cost is summed exactly by the caller (decimal strings). */
export function runTotals(
  items: Array<{ status: string; scores: EvalScores | null; quality: number | null; latencyMs: number }>,
  total: number,
  costUsd: number,
): EvalRunTotals {
  const done = items.filter((i) => i.status === 'completed');
  const pick = (f: (s: EvalScores) => number | undefined): number[] =>
    done.map((i) => (i.scores ? f(i.scores) : undefined)).filter((v): v is number => v !== undefined);
  const r = (v: number | null, d: number): number | null => (v === null ? null : round(v, d));
  return {
    items: total,
    completed: done.length,
    failed: items.filter((i) => i.status === 'failed').length,
    quality: r(mean(done.map((i) => i.quality).filter((q): q is number => q !== null)), 2),
    verdictAgreement: r(mean(pick((s) => s.verdictAgreement)), 4),
    scoreMae: r(mean(pick((s) => s.scoreError)), 2),
    concernF1: r(mean(pick((s) => s.concernF1)), 4),
    costUsd,
    meanLatencyMs: r(mean(done.map((i) => i.latencyMs)), 0),
  };
}
