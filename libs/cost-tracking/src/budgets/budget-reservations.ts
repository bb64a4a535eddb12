import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { REDIS, RedisScript, type PicoUsd, type ScriptCall } from '@margin/core';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';

/** One budget a call must fit in: spend and in-flight reservations are counted in Redis, in pico-dollars. */
export interface BudgetScope {
  /** Stable key part, e.g. `t:<tenant>:2026-11` or `j:<job>`. */
  key: string;
  /** null: counted, never refused (a budget without a hard stop). */
  limitPico: PicoUsd | null;
  /** Loads the spend from the ledger when Redis has none (first use, after a Redis restart). */
  loadSpent: () => Promise<PicoUsd>;
  name: string;
}

export interface Reservation {
  id: string;
  scopes: BudgetScope[];
  estimatePico: PicoUsd;
}

const TTL_SECONDS = 45 * 24 * 3600;

export interface BudgetReservationOptions {
  /**
   * How long a reservation stays counted without its holder renewing it. The holder renews it every third
   * of this while the call runs; a worker killed mid-call stops renewing, and the reservation lapses, so the
   * tenant's headroom comes back within this long. Default 60 s.
   */
  leaseMs?: number;
  /** A holder stops renewing after this long (no call runs for an hour; a bug that never settles must not hold budget forever). Default 1 h. */
  maxHoldMs?: number;
}

export const BUDGET_RESERVATION_OPTIONS = Symbol('BUDGET_RESERVATION_OPTIONS');

// Per scope, four keys: spent (string), reserved (string: the sum of live holds), holds (hash: reservation
// id → amount) and leases (zset: reservation id → expiry, ms, Redis clock). Every script first drops the
// scope's lapsed leases (a holder that died), taking their amounts off `reserved`; and when no hold is left,
// `reserved` is put back to 0, which also heals totals left behind before reservations had leases.
const REAP = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function reap(reserved, holds, leases, now)
  local lapsed = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 256)
  for _, id in ipairs(lapsed) do
    local amount = redis.call('HGET', holds, id)
    if amount then
      redis.call('DECRBY', reserved, amount)
      redis.call('HDEL', holds, id)
    end
    redis.call('ZREM', leases, id)
  end
  if redis.call('EXISTS', holds) == 0 then
    local r = redis.call('GET', reserved)
    if r and r ~= '0' then redis.call('SET', reserved, '0', 'KEEPTTL') end
  elseif tonumber(redis.call('GET', reserved) or '0') < 0 then
    redis.call('SET', reserved, '0', 'KEEPTTL')
  end
  return #lapsed
end
`;

// KEYS: per scope, spent, reserved, holds, leases. ARGV: estimate, ttl (s), reservation id, lease (ms), then
// per scope its limit (-1: none).
// Returns -i when scope i's spend is not loaded yet (the caller loads it from the ledger and retries),
// i when spent + reserved + estimate would pass scope i's limit; otherwise reserves the estimate in every
// scope at once and returns 0. A $0 estimate holds nothing (there is nothing to give back).
const RESERVE = new RedisScript(`${REAP}
local estimate = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local id = ARGV[3]
local lease = tonumber(ARGV[4])
local n = #KEYS / 4
local now = now_ms()
for i = 1, n do
  if redis.call('EXISTS', KEYS[4 * i - 3]) == 0 then return -i end
end
for i = 1, n do
  reap(KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i], now)
end
for i = 1, n do
  local limit = tonumber(ARGV[4 + i])
  if limit >= 0 and estimate > 0 then
    local spent = tonumber(redis.call('GET', KEYS[4 * i - 3]) or '0')
    local reserved = tonumber(redis.call('GET', KEYS[4 * i - 2]) or '0')
    if spent + reserved + estimate > limit then return i end
  end
end
for i = 1, n do
  redis.call('INCRBY', KEYS[4 * i - 2], estimate)
  redis.call('EXPIRE', KEYS[4 * i - 2], ttl)
  if estimate > 0 then
    redis.call('HSET', KEYS[4 * i - 1], id, estimate)
    redis.call('ZADD', KEYS[4 * i], now + lease, id)
    redis.call('EXPIRE', KEYS[4 * i - 1], ttl)
    redis.call('EXPIRE', KEYS[4 * i], ttl)
  end
end
return 0
`);

// KEYS: per scope, spent, reserved, holds, leases. ARGV: reservation id, actual, ttl. Gives the hold back
// (only if it is still held: a lapsed one was given back already) and books the actual cost. Returns each
// scope's new spend, or -1 for a scope whose spend is not in Redis (a Redis restart meanwhile): it is not
// created from this one call, the next use loads it from the ledger, which has this call's row already.
const SETTLE = new RedisScript(`${REAP}
local id = ARGV[1]
local actual = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local now = now_ms()
local out = {}
for i = 1, #KEYS / 4 do
  local amount = redis.call('HGET', KEYS[4 * i - 1], id)
  if amount then
    redis.call('DECRBY', KEYS[4 * i - 2], amount)
    redis.call('HDEL', KEYS[4 * i - 1], id)
  end
  redis.call('ZREM', KEYS[4 * i], id)
  reap(KEYS[4 * i - 2], KEYS[4 * i - 1], KEYS[4 * i], now)
  if redis.call('EXISTS', KEYS[4 * i - 3]) == 1 then
    out[i] = redis.call('INCRBY', KEYS[4 * i - 3], actual)
    redis.call('EXPIRE', KEYS[4 * i - 3], ttl)
  else
    out[i] = -1
  end
end
return out
`);

// KEYS: per scope, leases. ARGV: reservation id, lease (ms). Returns how many scopes still held it.
const RENEW = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local renewed = 0
for i = 1, #KEYS do
  renewed = renewed + redis.call('ZADD', KEYS[i], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
end
return renewed
`);

// KEYS: spent, reserved, holds, leases. Returns {spent or false, reserved}, after dropping lapsed leases.
const CURRENT = new RedisScript(
  `${REAP}
reap(KEYS[2], KEYS[3], KEYS[4], now_ms())
return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]) or '0'}
`,
  { keys: 4 },
);

/**
 * Atomic reserve-then-settle across every budget that applies to a call (tenant month, job), held in Redis
 * so that it holds across any number of workers: a call runs only if its worst-case cost fits, so spend can
 * pass a hard limit by at most one call's worst case (the difference between estimate and actual).
 * Values are integer pico-dollars (Redis integers are 64-bit: up to ~$9.2M per budget period).
 *
 * A reservation is a lease: its holder renews it while the call runs, and one whose holder died (kill -9
 * mid-call) lapses and is given back by the next reserve or read of that budget, so a crashed worker cannot
 * shrink a tenant's headroom for good. Lease times use Redis's clock, so hosts' clocks need not agree.
 */
@Injectable()
export class BudgetReservations implements OnModuleDestroy {
  private readonly logger = new Logger(BudgetReservations.name);
  private readonly leaseMs: number;
  private readonly maxHoldMs: number;
  /** Renewal timers of the reservations this process holds. */
  private readonly renewals = new Map<string, NodeJS.Timeout>();
  private readonly scripts: Record<'reserve' | 'settle' | 'renew' | 'current', ScriptCall>;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Optional() @Inject(BUDGET_RESERVATION_OPTIONS) options: BudgetReservationOptions | null = null,
  ) {
    // A call's scopes (tenant month, job) vary in number, so RESERVE, SETTLE and RENEW take their key count per call.
    this.scripts = {
      reserve: RESERVE.defineOn(redis),
      settle: SETTLE.defineOn(redis),
      renew: RENEW.defineOn(redis),
      current: CURRENT.defineOn(redis),
    };
    this.leaseMs = options?.leaseMs ?? 60_000;
    this.maxHoldMs = options?.maxHoldMs ?? 60 * 60_000;
    if (!(this.leaseMs > 0) || !(this.maxHoldMs > 0)) throw new RangeError('budget reservation leaseMs and maxHoldMs must be positive');
  }

  private keys(scopes: BudgetScope[]): string[] {
    return scopes.flatMap((s) => this.scopeKeys(s.key));
  }

  private scopeKeys(key: string): string[] {
    const base = `margin:budget:${key}`;
    return [`${base}:spent`, `${base}:reserved`, `${base}:holds`, `${base}:leases`];
  }

  /** A budget's spend is loaded from the ledger the first time Redis has none (SET NX: the first loader wins). */
  private async load(scope: BudgetScope): Promise<void> {
    const spent = await scope.loadSpent();
    await this.redis.set(`margin:budget:${scope.key}:spent`, spent.toString(), 'EX', TTL_SECONDS, 'NX');
  }

  /** The refusing scope, or a reservation to settle or release. One Redis round trip in the usual case. */
  async reserve(scopes: BudgetScope[], estimatePico: PicoUsd): Promise<{ ok: true; reservation: Reservation } | { ok: false; scope: BudgetScope }> {
    const id = randomUUID();
    if (scopes.length === 0) return { ok: true, reservation: { id, scopes, estimatePico } };
    const limits = scopes.map((s) => (s.limitPico === null ? '-1' : s.limitPico.toString()));
    for (let attempt = 0; ; attempt++) {
      const answer = Number(await this.scripts.reserve(this.keys(scopes), [estimatePico.toString(), TTL_SECONDS, id, this.leaseMs, ...limits]));
      if (answer === 0) {
        const reservation = { id, scopes, estimatePico };
        if (estimatePico > 0n) this.keepRenewing(reservation);
        return { ok: true, reservation };
      }
      if (answer > 0) return { ok: false, scope: scopes[answer - 1] as BudgetScope };
      if (attempt > scopes.length) throw new Error('budget spend could not be loaded');
      await this.load(scopes[-answer - 1] as BudgetScope);
    }
  }

  private keepRenewing(reservation: Reservation): void {
    const until = Date.now() + this.maxHoldMs;
    let warned = false;
    const timer = setInterval(
      () => {
        if (Date.now() > until) {
          this.stopRenewing(reservation.id);
          this.logger.warn({ reservationId: reservation.id }, `Budget reservation held over ${this.maxHoldMs} ms without being settled: no longer renewed`);
          return;
        }
        const leases = reservation.scopes.map((s) => `margin:budget:${s.key}:leases`);
        this.scripts.renew(leases, [reservation.id, this.leaseMs]).then(
          (renewed) => {
            if (Number(renewed) === 0 && !warned) {
              warned = true;
              this.logger.warn(
                { reservationId: reservation.id },
                'Budget reservation lapsed before its call ended (Redis restarted, or this process was stalled)',
              );
            }
          },
          (err: Error) => this.logger.warn({ reservationId: reservation.id }, `Budget reservation renewal failed: ${err.message}`),
        );
      },
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    // Renewal must never keep a stopping process alive.
    timer.unref();
    this.renewals.set(reservation.id, timer);
  }

  private stopRenewing(id: string): void {
    const timer = this.renewals.get(id);
    if (timer) clearInterval(timer);
    this.renewals.delete(id);
  }

  /** Swaps the reservation for the real cost; returns each scope's spend after it. Settling twice gives the hold back once. */
  async settle(reservation: Reservation, actualPico: PicoUsd): Promise<PicoUsd[]> {
    this.stopRenewing(reservation.id);
    if (reservation.scopes.length === 0) return [];
    const spent = (await this.scripts.settle(this.keys(reservation.scopes), [reservation.id, actualPico.toString(), TTL_SECONDS])) as Array<number | string>;
    return Promise.all(
      spent.map(async (v, i) => {
        if (Number(v) >= 0) return BigInt(v);
        // Spend was lost with a Redis restart: reload it from the ledger (which has this call booked already).
        return (await this.current(reservation.scopes[i] as BudgetScope)).spentPico;
      }),
    );
  }

  release(reservation: Reservation): Promise<PicoUsd[]> {
    return this.settle(reservation, 0n);
  }

  /** Drops a budget's running total so the next use reloads it from the ledger. */
  async forget(key: string): Promise<void> {
    await this.redis.del(`margin:budget:${key}:spent`);
  }

  async current(scope: BudgetScope): Promise<{ spentPico: PicoUsd; reservedPico: PicoUsd }> {
    for (let attempt = 0; ; attempt++) {
      const [spent, reserved] = (await this.scripts.current(this.scopeKeys(scope.key), [])) as [string | null, string];
      if (spent !== null || attempt > 0) return { spentPico: BigInt(spent ?? '0'), reservedPico: BigInt(reserved) };
      await this.load(scope);
    }
  }

  onModuleDestroy(): void {
    for (const timer of this.renewals.values()) clearInterval(timer);
    this.renewals.clear();
  }
}
