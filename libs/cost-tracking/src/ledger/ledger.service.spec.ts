import { ManualClock } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { LedgerRepository } from './ledger.repository';
import { LedgerService, type LedgerEntry } from './ledger.service';
import type { LlmCallEntity } from './llm-call.entity';

const T = '11111111-1111-4111-8111-111111111111';
const NOW = new Date('2026-11-20T08:00:00Z');
type Row = Omit<LlmCallEntity, 'id'>;

const entry = (over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  attemptId: 'item-1:0:classify:0',
  tenantId: T,
  operation: 'analyze',
  providerId: 'pa',
  modelId: 'pa/a',
  usage: { inputTokens: 120, cachedInputTokens: 20, outputTokens: 40, reasoningTokens: 0 },
  costPico: 1n,
  latencyMs: 12.6,
  outcome: 'success',
  at: NOW,
  ...over,
});

/** A ledger table as the repository's INSERT … ON CONFLICT (attempt_id) DO NOTHING keeps it. */
function ledgerTable() {
  const rows = new Map<string, Row>();
  const repo = strictMock<LedgerRepository>({
    insertMany: async (batch: Row[]) =>
      batch.map((row) => {
        if (rows.has(row.attemptId)) return false;
        rows.set(row.attemptId, row);
        return true;
      }),
  });
  return { rows, repo };
}

describe('LedgerService', () => {
  describe('booking a provider attempt', () => {
    it('writes the row with exact decimal amounts (to the pico-dollar), rounded latency and explicit nulls', async () => {
      const { rows, repo } = ledgerTable();
      const ledger = new LedgerService(repo, new ManualClock(NOW));
      await expect(ledger.record(entry({ premium: { modelId: 'pz/big', costPico: 123_456_789_012_345n } }))).resolves.toBe(true);
      expect(rows.get('item-1:0:classify:0')).toEqual({
        attemptId: 'item-1:0:classify:0',
        tenantId: T,
        apiKeyId: null,
        userId: null,
        jobId: null,
        itemId: null,
        operation: 'analyze',
        providerId: 'pa',
        modelId: 'pa/a',
        inputTokens: 120,
        cachedInputTokens: 20,
        outputTokens: 40,
        reasoningTokens: 0,
        costUsd: '0.000000000001',
        premiumModelId: 'pz/big',
        premiumCostUsd: '123.456789012345',
        latencyMs: 13,
        outcome: 'success',
        errorMessage: null,
        quality: null,
        routingReason: null,
        fallbackFrom: null,
        emulated: false,
        abArm: null,
        complexity: null,
        tier: 'live',
        createdAt: NOW,
      });
    });

    it('the same attempt id books once: a replayed delivery is told it was booked already', async () => {
      const { rows, repo } = ledgerTable();
      const ledger = new LedgerService(repo, new ManualClock(NOW));
      expect(await ledger.record(entry())).toBe(true);
      expect(await ledger.record(entry({ costPico: 999n }))).toBe(false);
      expect(rows.size).toBe(1);
      expect(rows.get('item-1:0:classify:0')?.costUsd).toBe('0.000000000001');
      expect(await ledger.record(entry({ attemptId: 'item-1:1:classify:0' }))).toBe(true);
      expect(rows.size).toBe(2);
    });

    it('concurrent calls share one statement, and twins with one attempt id inside it still book once', async () => {
      const { rows, repo } = ledgerTable();
      const ledger = new LedgerService(repo, new ManualClock(NOW));
      const booked = await Promise.all([ledger.record(entry()), ledger.record(entry()), ledger.record(entry({ attemptId: 'other' }))]);
      expect(booked).toEqual([true, false, true]);
      expect(repo.insertMany).toHaveBeenCalledTimes(1);
      expect(rows.size).toBe(2);
    });

    it('a row that could not be written rejects its caller (nothing is reported booked that was not)', async () => {
      const repo = strictMock<LedgerRepository>({ insertMany: async () => Promise.reject(new Error('connection reset')) });
      const ledger = new LedgerService(repo, new ManualClock(NOW));
      await expect(ledger.record(entry())).rejects.toThrow('connection reset');
    });

    it('shutting down waits for the rows still being written', async () => {
      const { rows, repo } = ledgerTable();
      const ledger = new LedgerService(repo, new ManualClock(NOW));
      const pending = ledger.record(entry());
      await ledger.onApplicationShutdown();
      expect(rows.size).toBe(1);
      await pending;
    });

    it('a cache saving is booked under its own key, in exact decimals', async () => {
      const repo = strictMock<LedgerRepository>({ insertSavingOnce: async () => true });
      await new LedgerService(repo, new ManualClock(NOW)).recordSaving({ key: 'cache:item-1', tenantId: T, itemId: 'item-1', amountPico: 1_500_000n, at: NOW });
      expect(repo.insertSavingOnce).toHaveBeenCalledWith({
        key: 'cache:item-1',
        tenantId: T,
        jobId: null,
        itemId: 'item-1',
        kind: 'cache',
        amountUsd: '0.000001500000',
        at: NOW,
      });
    });
  });

  describe('sums', () => {
    it('spend of a month or of a job comes back as exact pico-dollars, however large', async () => {
      const repo = strictMock<LedgerRepository>({ sumCost: async (_t, range) => (range.jobId ? '0.000000000003' : '12345678.123456789012') });
      const ledger = new LedgerService(repo, new ManualClock(NOW));
      expect(await ledger.spentPico(T, { jobId: 'j1' })).toBe(3n);
      expect(repo.sumCost).toHaveBeenLastCalledWith(T, { jobId: 'j1' });
      expect(await ledger.spentPico(T, { monthOf: NOW })).toBe(12_345_678_123_456_789_012n);
      expect(repo.sumCost).toHaveBeenLastCalledWith(T, { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') });
    });

    it('the summary adds routing and cache savings in pico-dollars (0.1 + 0.2 is 0.3, not 0.30000000000000004)', async () => {
      const repo = strictMock<LedgerRepository>({
        totals: async () => ({ calls: 3, inputTokens: 300, outputTokens: 90, costUsd: '0.000000500000', savedUsd: '0.100000000000' }),
        groups: async () => [{ key: 'pa/a', calls: 3, inputTokens: 300, outputTokens: 90, costUsd: '0.000000500000' }],
        sumSavings: async () => '0.200000000000',
      });
      const summary = await new LedgerService(repo, new ManualClock(NOW)).summary(T, {});
      expect(repo.totals).toHaveBeenCalledWith(T, new Date('2026-11-01T00:00:00Z'), new Date(NOW.getTime() + 1));
      expect(repo.groups).toHaveBeenCalledWith(T, new Date('2026-11-01T00:00:00Z'), new Date(NOW.getTime() + 1), 'model');
      expect(summary).toMatchObject({ savedUsd: 0.3, savedByRoutingUsd: 0.1, savedByCacheUsd: 0.2, totalUsd: 0.000001, calls: 3 });
      expect(summary.rows).toEqual([{ key: 'pa/a', calls: 3, inputTokens: 300, outputTokens: 90, costUsd: 0.000001 }]);
    });

    it('a page of calls holds 1 to 500 rows', async () => {
      const repo = strictMock<LedgerRepository>({ page: async () => [] });
      const ledger = new LedgerService(repo, new ManualClock(NOW));
      await ledger.calls(T, { limit: 5000 });
      expect(repo.page).toHaveBeenLastCalledWith(T, { jobId: undefined, limit: 501, after: undefined });
      await ledger.calls(T, { limit: 0 });
      expect(repo.page).toHaveBeenLastCalledWith(T, { jobId: undefined, limit: 2, after: undefined });
    });
  });
});
