import { runTotals, scoreSongReview, setF1 } from './scoring';

describe('eval scoring', () => {
  it('concern F1: both empty agree fully; disjoint is 0; partial overlap is the harmonic mean', () => {
    expect(setF1(new Set(), new Set())).toBe(1);
    expect(setF1(new Set(['violence']), new Set())).toBe(0);
    expect(setF1(new Set(), new Set(['violence']))).toBe(0);
    expect(setF1(new Set(['violence', 'profanity']), new Set(['violence']))).toBeCloseTo(2 / 3);
    expect(setF1(new Set(['violence']), new Set(['violence', 'occult', 'other']))).toBeCloseTo(0.5);
  });

  it('a song review: verdict, score error and concern categories against the expected review', () => {
    const expected = { verdict: 'caution', score: 50, concerns: ['substance'] };
    expect(scoreSongReview({ verdict: 'caution', score: 50, concerns: [{ category: 'substance', severity: 'medium', line: 'x' }] }, expected)).toEqual({
      scores: { verdictAgreement: 1, scoreError: 0, concernF1: 1 },
      quality: 100,
    });
    expect(scoreSongReview({ verdict: 'approved', score: 90, concerns: [] }, expected)).toEqual({
      scores: { verdictAgreement: 0, scoreError: 40, concernF1: 0 },
      quality: 15,
    });
    // Not a review at all: the worst score on every count.
    expect(scoreSongReview('nonsense', expected)).toEqual({ scores: { verdictAgreement: 0, scoreError: 100, concernF1: 0 }, quality: 0 });
  });

  it('totals: means over the completed items, failures counted apart', () => {
    const totals = runTotals(
      [
        { status: 'completed', scores: { verdictAgreement: 1, scoreError: 10, concernF1: 1 }, quality: 97.5, latencyMs: 100 },
        { status: 'completed', scores: { verdictAgreement: 0, scoreError: 30, concernF1: 0.5 }, quality: 30, latencyMs: 300 },
        { status: 'failed', scores: null, quality: null, latencyMs: 0 },
      ],
      3,
      0.25,
    );
    expect(totals).toEqual({
      items: 3,
      completed: 2,
      failed: 1,
      quality: 63.75,
      verdictAgreement: 0.5,
      scoreMae: 20,
      concernF1: 0.75,
      costUsd: 0.25,
      meanLatencyMs: 200,
    });
  });
});
