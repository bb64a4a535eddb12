import type { LedgerService, SavingEntry } from '@margin/cost-tracking';
import { strictMock } from '@margin/testing';
import type Redis from 'ioredis';
import type { AnalysisCacheRepository, CacheHitCount } from '../cache/analysis-cache.repository';
import { AnalyzeHitRecorder } from './analyze-hits';

const KEY = { profileKey: 'song-analysis', profileVersion: 1, scope: 'global', inputHash: 'h1' };
const T1 = '00000000-0000-4000-8000-000000000001';
const T2 = '00000000-0000-4000-8000-000000000002';
const AT = new Date('2026-11-02T10:00:00Z');

/** The hit counts each write sent, and the ledger's bookings. */
function setUp(options: { failBookings?: number } = {}) {
  const counts: number[][] = [];
  const entries = strictMock<AnalysisCacheRepository>({
    countHits: jest.fn(async (hits: CacheHitCount[]) => {
      counts.push(hits.map((h) => h.count));
      return [{ ...KEY, cost: '0.000000000001', counterfactual: '0.000123456789' }];
    }),
  });
  let failures = options.failBookings ?? 0;
  const booked: SavingEntry[] = [];
  const ledger = strictMock<LedgerService>({
    recordSavings: jest.fn(async (entries: SavingEntry[]) => {
      if (failures-- > 0) throw new Error('connection lost');
      booked.push(...entries);
    }),
  });
  const recorder = new AnalyzeHitRecorder(strictMock<Redis>(), entries, ledger);
  return { recorder, counts, booked };
}

describe('AnalyzeHitRecorder', () => {
  it('counts the hits and books their savings through the ledger, priced exactly from the entry', async () => {
    const { recorder, counts, booked } = setUp();
    recorder.record(KEY, T1, AT);
    recorder.record(KEY, T1, AT);
    recorder.record(KEY, T2, AT, true); // counted already elsewhere: only its saving is booked
    await recorder.flush();
    expect(counts).toEqual([[2, 0]]);
    expect(booked.map((b) => [b.tenantId, b.amountPico])).toEqual([
      [T1, 246_913_578n],
      [T2, 123_456_789n],
    ]);
  });

  it('retries a failed booking without counting the hits a second time', async () => {
    const { recorder, counts, booked } = setUp({ failBookings: 1 });
    recorder.record(KEY, T1, AT);
    await recorder.flush(); // counted, booking failed: kept for the next try
    recorder.stop();
    await recorder.flush();
    expect(counts).toEqual([[1], [0]]);
    expect(booked.map((b) => [b.tenantId, b.amountPico])).toEqual([[T1, 123_456_789n]]);
  });
});
