import { Inject, Injectable } from '@nestjs/common';
import { REDIS, type PicoUsd } from '@margin/core';
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

// KEYS: per scope, spent then reserved. ARGV: estimate, ttl, then per scope its limit (-1: none).
// Returns -i when scope i's spend is not loaded yet (the caller loads it from the ledger and retries),
// i when spent + reserved + estimate would pass scope i's limit; otherwise reserves the estimate in every
// scope at once and returns 0.
const RESERVE = `
local estimate = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local n = #KEYS / 2
for i = 1, n do
  if redis.call('EXISTS', KEYS[2 * i - 1]) == 0 then return -i end
end
for i = 1, n do
  local limit = tonumber(ARGV[2 + i])
  if limit >= 0 and estimate > 0 then
    local spent = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
    local reserved = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
    if spent + reserved + estimate > limit then return i end
  end
end
for i = 1, n do
  redis.call('INCRBY', KEYS[2 * i], estimate)
  redis.call('EXPIRE', KEYS[2 * i], ttl)
end
return 0
`;

// KEYS: per scope, spent then reserved. ARGV: estimate, actual, ttl. Returns each scope's new spend.
const SETTLE = `
local estimate = tonumber(ARGV[1])
local actual = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local out = {}
for i = 1, #KEYS / 2 do
  local reserved = redis.call('DECRBY', KEYS[2 * i], estimate)
  if reserved < 0 then redis.call('SET', KEYS[2 * i], 0) end
  out[i] = redis.call('INCRBY', KEYS[2 * i - 1], actual)
  redis.call('EXPIRE', KEYS[2 * i - 1], ttl)
end
return out
`;

/**
 * Atomic reserve-then-settle across every budget that applies to a call (tenant month, job), held in Redis
 * so that it holds across any number of workers: a call runs only if its worst-case cost fits, so spend can
 * pass a hard limit by at most one call's worst case (the difference between estimate and actual).
 * Values are integer pico-dollars (Redis integers are 64-bit: up to ~$9.2M per budget period).
 */
@Injectable()
export class BudgetReservations {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  private keys(scopes: BudgetScope[]): string[] {
    return scopes.flatMap((s) => [`margin:budget:${s.key}:spent`, `margin:budget:${s.key}:reserved`]);
  }

  /** A budget's spend is loaded from the ledger the first time Redis has none (SET NX: the first loader wins). */
  private async load(scope: BudgetScope): Promise<void> {
    const spent = await scope.loadSpent();
    await this.redis.set(`margin:budget:${scope.key}:spent`, spent.toString(), 'EX', TTL_SECONDS, 'NX');
  }

  /** The refusing scope, or a reservation to settle or release. One Redis round trip in the usual case. */
  async reserve(scopes: BudgetScope[], estimatePico: PicoUsd): Promise<{ ok: true; reservation: Reservation } | { ok: false; scope: BudgetScope }> {
    if (scopes.length === 0) return { ok: true, reservation: { id: randomUUID(), scopes, estimatePico } };
    const limits = scopes.map((s) => (s.limitPico === null ? '-1' : s.limitPico.toString()));
    for (let attempt = 0; ; attempt++) {
      const answer = Number(await this.redis.eval(RESERVE, scopes.length * 2, ...this.keys(scopes), estimatePico.toString(), TTL_SECONDS, ...limits));
      if (answer === 0) return { ok: true, reservation: { id: randomUUID(), scopes, estimatePico } };
      if (answer > 0) return { ok: false, scope: scopes[answer - 1] as BudgetScope };
      if (attempt > scopes.length) throw new Error('budget spend could not be loaded');
      await this.load(scopes[-answer - 1] as BudgetScope);
    }
  }

  /** Swaps the reservation for the real cost; returns each scope's spend after it. */
  async settle(reservation: Reservation, actualPico: PicoUsd): Promise<PicoUsd[]> {
    if (reservation.scopes.length === 0) return [];
    const spent = (await this.redis.eval(
      SETTLE,
      reservation.scopes.length * 2,
      ...this.keys(reservation.scopes),
      reservation.estimatePico.toString(),
      actualPico.toString(),
      TTL_SECONDS,
    )) as Array<number | string>;
    return spent.map((v) => BigInt(v));
  }

  release(reservation: Reservation): Promise<PicoUsd[]> {
    return this.settle(reservation, 0n);
  }

  /** Drops a budget's running total so the next use reloads it from the ledger. */
  async forget(key: string): Promise<void> {
    await this.redis.del(`margin:budget:${key}:spent`);
  }

  async current(scope: BudgetScope): Promise<{ spentPico: PicoUsd; reservedPico: PicoUsd }> {
    if (!(await this.redis.exists(`margin:budget:${scope.key}:spent`))) await this.load(scope);
    const [spent, reserved] = await this.redis.mget(`margin:budget:${scope.key}:spent`, `margin:budget:${scope.key}:reserved`);
    return { spentPico: BigInt(spent ?? '0'), reservedPico: BigInt(reserved ?? '0') };
  }
}
