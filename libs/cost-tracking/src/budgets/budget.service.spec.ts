import { EVENTS_CHANNEL } from '@margin/contracts';
import { ManualClock, picoToDecimal, usdToPico, type ChangeFeed, type PicoUsd } from '@margin/core';
import { strictMock } from '@margin/testing';
import type Redis from 'ioredis';
import type { LedgerService } from '../ledger/ledger.service';
import type { BudgetReservations, BudgetScope, Reservation } from './budget-reservations';
import { BudgetAlertEntity, BudgetEntity } from './budget.entity';
import type { BudgetRepository } from './budget.repository';
import { BudgetExceededError, BudgetService } from './budget.service';

const T = '11111111-1111-4111-8111-111111111111';
const JOB = '22222222-2222-4222-8222-222222222222';
const NOW = new Date('2026-11-20T08:00:00Z');
const usd = (amount: string): PicoUsd => usdToPico(amount);

const budget = (over: Partial<BudgetEntity> = {}): BudgetEntity =>
  Object.assign(new BudgetEntity(), {
    tenantId: T,
    monthlyLimitUsd: '100.000000',
    alertThresholds: ['0.5000', '0.8000', '1.0000'],
    hardStop: true,
    updatedAt: NOW,
    ...over,
  });

interface Options {
  budget?: BudgetEntity | null;
  /** Spend in the tenant scope after a settle (what Redis answers). */
  spentAfter?: PicoUsd;
  /** Whether the threshold's alert is new this month. */
  alertIsNew?: boolean;
  reserve?: BudgetReservations['reserve'];
  current?: { spentPico: PicoUsd; reservedPico: PicoUsd };
}

function setup(o: Options = {}) {
  let config = o.budget === undefined ? budget() : o.budget;
  const repo = strictMock<BudgetRepository>({
    find: async () => config,
    upsert: async (_t, row) => {
      config = budget({ ...row });
    },
    listAlerts: async () => [],
    insertAlertOnce: async () => o.alertIsNew ?? true,
  });
  const reservations = strictMock<BudgetReservations>({
    reserve: o.reserve ?? (async (scopes, estimatePico) => ({ ok: true, reservation: { id: 'r1', scopes, estimatePico } })),
    settle: async (r) => r.scopes.map(() => o.spentAfter ?? 0n),
    release: async () => [],
    current: async () => o.current ?? { spentPico: 0n, reservedPico: 0n },
    forget: async () => undefined,
  });
  const ledger = strictMock<LedgerService>({ spentPico: async () => usd('12.5') });
  const redis = strictMock<Redis>({ publish: async () => 1 });
  let onChange: (() => void) | undefined;
  const changes = strictMock<ChangeFeed>({
    subscribe: async (_topic, handler) => {
      onChange = handler;
    },
    publish: async () => undefined,
  });
  const service = new BudgetService(repo, reservations, ledger, new ManualClock(NOW), redis, changes);
  return { service, repo, reservations, ledger, redis, changes, change: () => onChange?.() };
}

const scopesOf = (s: ReturnType<typeof setup>): BudgetScope[] => s.reservations.reserve.mock.calls[0]?.[0] ?? [];
const reservation = (scopes: Array<Pick<BudgetScope, 'key'>>): Reservation => ({
  id: 'r1',
  scopes: scopes.map((x) => ({ ...x, limitPico: null, loadSpent: async () => 0n, name: 'n' })),
  estimatePico: usd('1'),
});

describe('BudgetService', () => {
  describe('which budgets a call must fit', () => {
    it('a tenant without a monthly limit: none (nothing counted, nothing refused)', async () => {
      const s = setup({ budget: null });
      await s.service.reserve({ tenantId: T }, usd('0.5'));
      expect(s.reservations.reserve).toHaveBeenCalledWith([], usd('0.5'));
    });

    it('a monthly limit with a hard stop: the month’s scope, refusing past the limit, its spend loaded from the ledger for that month', async () => {
      const s = setup();
      await s.service.reserve({ tenantId: T }, usd('0.5'));
      const [tenant] = scopesOf(s);
      expect(tenant).toMatchObject({ key: `t:${T}:2026-11`, limitPico: usd('100'), name: 'monthly tenant budget' });
      await expect(tenant?.loadSpent()).resolves.toBe(usd('12.5'));
      expect(s.ledger.spentPico).toHaveBeenCalledWith(T, { monthOf: NOW });
    });

    it('a monthly limit without a hard stop is counted (for its alerts) but never refuses', async () => {
      const s = setup({ budget: budget({ hardStop: false }) });
      await s.service.reserve({ tenantId: T }, usd('0.5'));
      expect(scopesOf(s)).toEqual([expect.objectContaining({ key: `t:${T}:2026-11`, limitPico: null })]);
    });

    it('a job with a budget of its own adds its scope; a job without one adds none', async () => {
      const s = setup({ budget: null });
      await s.service.reserve({ tenantId: T, job: { id: JOB, limitPico: usd('3') } }, usd('0.5'));
      const [job] = scopesOf(s);
      expect(job).toMatchObject({ key: `j:${JOB}`, limitPico: usd('3'), name: 'job budget' });
      await job?.loadSpent();
      expect(s.ledger.spentPico).toHaveBeenCalledWith(T, { jobId: JOB });

      const t = setup({ budget: null });
      await t.service.reserve({ tenantId: T, job: { id: JOB, limitPico: null } }, usd('0.5'));
      expect(scopesOf(t)).toEqual([]);
    });

    it('reads a tenant’s budget once per 30 s, and again as soon as the change feed says it changed', async () => {
      const s = setup();
      await s.service.onModuleInit();
      await s.service.reserve({ tenantId: T }, 1n);
      await s.service.reserve({ tenantId: T }, 1n);
      expect(s.repo.find).toHaveBeenCalledTimes(1);
      s.change();
      await s.service.reserve({ tenantId: T }, 1n);
      expect(s.repo.find).toHaveBeenCalledTimes(2);
    });
  });

  describe('hard stop', () => {
    it('a refused monthly budget throws budget_exceeded naming it, with the spend, the limit, the call’s worst case and when the month resets', async () => {
      const s = setup({ reserve: async (scopes) => ({ ok: false, scope: scopes[0] as BudgetScope }), current: { spentPico: usd('99.5'), reservedPico: 0n } });
      const err = await s.service.reserve({ tenantId: T }, usd('0.75')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BudgetExceededError);
      expect(err).toMatchObject({
        code: 'budget_exceeded',
        httpStatus: 429,
        budget: 'monthly tenant budget',
        message: 'The monthly tenant budget is exhausted: $99.5 spent of $100, and this call could cost up to $0.75',
        // 2026-11-20T08:00Z → 2026-12-01T00:00Z
        retryAfterSeconds: (10 * 24 + 16) * 3600,
      });
    });

    it('a refused job budget does not reset: no retry time', async () => {
      const s = setup({
        budget: null,
        reserve: async (scopes) => ({ ok: false, scope: scopes[0] as BudgetScope }),
        current: { spentPico: usd('3'), reservedPico: 0n },
      });
      const err = await s.service.reserve({ tenantId: T, job: { id: JOB, limitPico: usd('3') } }, usd('0.01')).catch((e: unknown) => e);
      expect(err).toMatchObject({ budget: 'job budget', retryAfterSeconds: undefined });
    });
  });

  describe('settle, refund and alerts', () => {
    const tenantReservation = () => reservation([{ key: `t:${T}:2026-11` }, { key: `j:${JOB}` }]);

    it('books the actual cost against the reservation and alerts the thresholds that spend just crossed, once', async () => {
      const s = setup({ spentAfter: usd('81') });
      const r = tenantReservation();
      await s.service.settle({ tenantId: T }, r, usd('2'));
      expect(s.reservations.settle).toHaveBeenCalledWith(r, usd('2'));
      // 79 → 81 of 100 crosses 80 % only
      expect(s.repo.insertAlertOnce).toHaveBeenCalledTimes(1);
      expect(s.repo.insertAlertOnce).toHaveBeenCalledWith(T, {
        period: '2026-11-01',
        threshold: '0.8000',
        spentUsd: picoToDecimal(usd('81')),
        limitUsd: '100.000000',
        at: NOW,
      });
      expect(s.redis.publish).toHaveBeenCalledWith(
        EVENTS_CHANNEL,
        JSON.stringify({ type: 'budget.alert', tenantId: T, threshold: 0.8, spentUsd: 81, limitUsd: 100 }),
      );
    });

    it('reaching a threshold exactly alerts it; a pico-dollar below does not', async () => {
      const at = setup({ spentAfter: usd('50') });
      await at.service.settle({ tenantId: T }, tenantReservation(), usd('1'));
      expect(at.repo.insertAlertOnce).toHaveBeenCalledWith(T, expect.objectContaining({ threshold: '0.5000' }));
      const below = setup({ spentAfter: usd('50') - 1n });
      await below.service.settle({ tenantId: T }, tenantReservation(), usd('1'));
      expect(below.repo.insertAlertOnce).not.toHaveBeenCalled();
    });

    it('one call crossing several thresholds alerts each of them', async () => {
      const s = setup({ spentAfter: usd('100') });
      await s.service.settle({ tenantId: T }, tenantReservation(), usd('60'));
      expect(s.repo.insertAlertOnce.mock.calls.map((c) => c[1].threshold)).toEqual(['0.5000', '0.8000', '1.0000']);
    });

    it('a threshold already alerted this month (another worker was first) is not published again', async () => {
      const s = setup({ spentAfter: usd('81'), alertIsNew: false });
      await s.service.settle({ tenantId: T }, tenantReservation(), usd('2'));
      expect(s.repo.insertAlertOnce).toHaveBeenCalled();
      expect(s.redis.publish).not.toHaveBeenCalled();
    });

    it('a $0 call, or a reservation of a job budget only, raises no alert', async () => {
      const free = setup({ spentAfter: usd('81') });
      await free.service.settle({ tenantId: T }, tenantReservation(), 0n);
      const jobOnly = setup({ spentAfter: usd('81') });
      await jobOnly.service.settle({ tenantId: T }, reservation([{ key: `j:${JOB}` }]), usd('2'));
      expect(free.repo.insertAlertOnce).not.toHaveBeenCalled();
      expect(free.repo.find).not.toHaveBeenCalled(); // spend did not move: not even the budget is read
      expect(jobOnly.repo.insertAlertOnce).not.toHaveBeenCalled();
    });

    it('a call that did not happen gives its whole reservation back', async () => {
      const s = setup();
      const r = tenantReservation();
      await s.service.release(r);
      expect(s.reservations.release).toHaveBeenCalledWith(r);
      expect(s.reservations.settle).not.toHaveBeenCalled();
    });
  });

  describe('update', () => {
    it('stores thresholds sorted and once each, restarts the running total from the ledger, tells the other processes, and alerts a lowered limit at once', async () => {
      const s = setup({ budget: budget({ monthlyLimitUsd: '100.000000' }), current: { spentPico: usd('50'), reservedPico: 0n } });
      const view = await s.service.update(T, { monthlyLimitUsd: 70, alertThresholds: [0.8, 0.5, 0.8] });
      expect(s.repo.upsert).toHaveBeenCalledWith(T, { monthlyLimitUsd: '70.000000000000', alertThresholds: ['0.5000', '0.8000'], hardStop: true });
      expect(s.reservations.forget).toHaveBeenCalledWith(`t:${T}:2026-11`);
      expect(s.changes.publish).toHaveBeenCalledWith('budgets');
      // $50 of $70 is past 50 % (and not yet 80 %)
      expect(s.repo.insertAlertOnce.mock.calls.map((c) => c[1].threshold)).toEqual(['0.5000']);
      expect(view).toMatchObject({ monthlyLimitUsd: 70, alertThresholds: [0.5, 0.8], hardStop: true, spentUsd: 50 });
    });

    it('without a limit the view reads spend from the ledger (nothing is counted in Redis)', async () => {
      const s = setup({ budget: null });
      s.repo.listAlerts.mockResolvedValue([
        Object.assign(new BudgetAlertEntity(), { threshold: '0.5000', spentUsd: '50.000000000001', limitUsd: '100.000000', createdAt: NOW }),
      ]);
      const view = await s.service.get(T);
      expect(s.ledger.spentPico).toHaveBeenCalledWith(T, { monthOf: NOW });
      expect(s.reservations.current).not.toHaveBeenCalled();
      expect(view).toMatchObject({
        monthlyLimitUsd: null,
        spentUsd: 12.5,
        reservedUsd: 0,
        periodStart: '2026-11-01T00:00:00.000Z',
        resetsAt: '2026-12-01T00:00:00.000Z',
      });
      expect(view.alerts).toEqual([{ threshold: 0.5, spentUsd: 50, limitUsd: 100, at: NOW.toISOString() }]);
    });
  });
});
