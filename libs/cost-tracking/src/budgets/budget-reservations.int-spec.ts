// Budget reservations against a real Redis: a reservation whose holder died lapses and its headroom comes
// back; a live holder keeps renewing; settling after a lapse does not give the amount back twice.
import type { PicoUsd } from '@margin/core';
import { TEST_REDIS_URL } from '@margin/testing';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { BudgetReservations, type BudgetScope } from './budget-reservations';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('BudgetReservations (Redis)', () => {
  let redis: Redis;
  const opened: BudgetReservations[] = [];
  const reservations = (leaseMs: number) => {
    const r = new BudgetReservations(redis, { leaseMs });
    opened.push(r);
    return r;
  };
  const scope = (limitPico: PicoUsd | null, spent: PicoUsd = 0n): BudgetScope => ({
    key: `t:${randomUUID()}:2026-12`,
    limitPico,
    loadSpent: async () => spent,
    name: 'monthly tenant budget',
  });

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
  });
  afterEach(() => {
    for (const r of opened.splice(0)) r.onModuleDestroy();
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('a reservation whose holder died (never settled, never renewed) lapses: the headroom comes back', async () => {
    const s = scope(1_000n);
    // The "worker" that dies mid-call: it reserved, then its renewals stop (its process is gone).
    const dead = reservations(400);
    const held = await dead.reserve([s], 800n);
    expect(held.ok).toBe(true);
    dead.onModuleDestroy();

    const live = reservations(400);
    expect(await live.reserve([s], 300n)).toMatchObject({ ok: false });
    expect(await live.current(s)).toEqual({ spentPico: 0n, reservedPico: 800n });
    await sleep(700);
    expect(await live.current(s)).toEqual({ spentPico: 0n, reservedPico: 0n });
    const next = await live.reserve([s], 300n);
    expect(next.ok).toBe(true);
    if (next.ok) await live.settle(next.reservation, 250n);
    expect(await live.current(s)).toEqual({ spentPico: 250n, reservedPico: 0n });
  });

  it('a live holder keeps its reservation past the lease by renewing it, until it settles', async () => {
    const s = scope(1_000n);
    const r = reservations(300);
    const held = await r.reserve([s], 700n);
    if (!held.ok) throw new Error('refused');
    await sleep(1_000); // more than three leases
    expect(await r.current(s)).toEqual({ spentPico: 0n, reservedPico: 700n });
    expect(await r.reserve([s], 400n)).toMatchObject({ ok: false });
    await r.settle(held.reservation, 650n);
    expect(await r.current(s)).toEqual({ spentPico: 650n, reservedPico: 0n });
  });

  it('settling a reservation that lapsed books the cost and does not give the amount back a second time', async () => {
    const s = scope(10_000n);
    const a = reservations(300);
    const other = reservations(60_000);
    const slow = await a.reserve([s], 1_000n);
    if (!slow.ok) throw new Error('refused');
    a.onModuleDestroy(); // a stalled holder: no renewals
    await sleep(500);
    const fresh = await other.reserve([s], 2_000n); // reaps the lapsed one
    if (!fresh.ok) throw new Error('refused');
    expect(await other.current(s)).toEqual({ spentPico: 0n, reservedPico: 2_000n });
    await a.settle(slow.reservation, 900n); // the stalled call finishes after all
    expect(await other.current(s)).toEqual({ spentPico: 900n, reservedPico: 2_000n });
    await other.release(fresh.reservation);
    await other.release(fresh.reservation); // twice: no-op
    expect(await other.current(s)).toEqual({ spentPico: 900n, reservedPico: 0n });
  });

  it('a total left behind by a reservation without a lease (before leases existed) is healed on the next use', async () => {
    const s = scope(1_000n);
    await redis.set(`margin:budget:${s.key}:spent`, '100');
    await redis.set(`margin:budget:${s.key}:reserved`, '900');
    const r = reservations(60_000);
    const res = await r.reserve([s], 500n);
    expect(res.ok).toBe(true);
    expect(await r.current(s)).toEqual({ spentPico: 100n, reservedPico: 500n });
  });

  it('spend lost with a Redis restart between reserve and settle is reloaded from the ledger, not restarted from this call', async () => {
    const ledgerTotal = { pico: 5_000n };
    const s: BudgetScope = { ...scope(100_000n), loadSpent: async () => ledgerTotal.pico };
    const r = reservations(60_000);
    const res = await r.reserve([s], 1_000n);
    if (!res.ok) throw new Error('refused');
    await redis.del(...['spent', 'reserved', 'holds', 'leases'].map((k) => `margin:budget:${s.key}:${k}`)); // what a restart without persistence leaves
    ledgerTotal.pico = 5_800n; // the call's row is booked before the budget is settled
    expect(await r.settle(res.reservation, 800n)).toEqual([5_800n]);
    expect(await r.current(s)).toEqual({ spentPico: 5_800n, reservedPico: 0n });
  });

  it('$0 calls hold nothing and always pass', async () => {
    const s = scope(0n, 0n);
    const r = reservations(60_000);
    const res = await r.reserve([s], 0n);
    expect(res.ok).toBe(true);
    expect(await redis.exists(`margin:budget:${s.key}:holds`, `margin:budget:${s.key}:leases`)).toBe(0);
  });
});
