import { Inject, Injectable } from '@nestjs/common';
import { Clock, REDIS, RedisScript, replyNumber, replyString, type RedisClient, type ScriptCall } from '@margin/core';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { LUA_PRELUDE, hashTag } from './script-helpers';

/**
 * Global RPM / TPM / concurrency limits per `provider/model`, held in Redis so that every worker process on
 * every machine draws from the same budget.
 *
 * Model: two token buckets and a lease set, all checked and charged in one Lua script (atomic, all or nothing).
 *  - requests bucket: capacity `rpm`, refills continuously at rpm/60 000 per ms (smooth pacing, no windows);
 *  - tokens bucket: capacity `tpm`, refills at tpm/60 000 per ms; a call is charged its estimate (input
 *    estimate + maxTokens) at dispatch, and the difference to the actual usage is refunded (or charged) when
 *    its lease is settled — so a bucket can go negative, and later calls then wait until it has refilled;
 *  - concurrency: a sorted set of lease ids scored by expiry; expired leases (crashed workers) are purged by
 *    the scripts themselves, so a slot always comes back;
 *  - waiters: a global first-come-first-served queue of tickets. A caller that has to wait takes a ticket and
 *    from then on may only be granted when the buckets hold enough for every ticket ahead of it plus itself
 *    (and the concurrency limit has a slot for each of them), so a later arrival never takes capacity an
 *    earlier one is waiting for, whichever process either runs in. The refusal tells each waiter when its
 *    turn comes at the current rate (the demand ahead of it included), so waiters sleep until then instead
 *    of polling, and one that cannot be served within its maxWaitMs is refused at once with that time.
 *    A ticket expires shortly after its holder's planned wake-up (a crashed waiter holds up the queue by
 *    about `ticketGraceMs`), a waiter that gives up removes its ticket, and a plain tryAcquire queues
 *    behind the tickets too.
 *
 * Time: `now` is passed to every script from the injected clock, never read inside Redis (TIME). Tests
 * control time that way, and all workers agree to within their clock skew (keep hosts NTP-synced). A worker
 * whose clock is behind a bucket's last update does not refill it and does not move it back in time.
 * Key TTLs are Redis' own wall-clock expiries and only serve to drop idle state.
 *
 * Redis keys, `{…}` being a Redis Cluster hash tag so one script's keys share a slot:
 *   margin:rl:{provider/model}:req    hash  v = level (requests, fractional), t = last update (ms), c = capacity
 *   margin:rl:{provider/model}:tok    hash  v = level (tokens, fractional, may be negative), t, c
 *   margin:rl:{provider/model}:leases zset  lease id → expiry (ms)
 *   margin:rl:{provider/model}:block  string blocked-until (ms), set from a provider's retry-after (429)
 *   margin:rl:{provider/model}:queue  zset  ticket id → arrival number (first come, first served)
 *   margin:rl:{provider/model}:qexp   zset  ticket id → expiry (ms)
 *   margin:rl:{provider/model}:qtok   hash  ticket id → tokens the ticket's call will be charged
 * A missing bucket is a full one, so bucket keys expire once they would have refilled (plus an idle margin).
 */

/** Limits of one model, from the catalog. Absent / null = not limited on that dimension. */
export interface ModelLimits {
  rpm?: number | null;
  tpm?: number | null;
  maxConcurrency?: number | null;
}

/** Which limit refused. `blocked`: the provider told us to back off (retry-after), see `tighten`. */
export type LimitReason = 'rpm' | 'tpm' | 'concurrency' | 'blocked';

export interface LimitRefusal {
  ok: false;
  /** How long until the refusing limit would let this call through (for concurrency: a poll interval). */
  retryAfterMs: number;
  reason: LimitReason;
}

export type AcquireResult = { ok: true; lease: Lease } | LimitRefusal;

export interface TryAcquireOptions {
  /** Tokens to charge now: input estimate + maxTokens. */
  tokens: number;
  /** Concurrency lease lifetime; a lease not settled by then frees itself. Default: the limiter's leaseTtlMs. */
  leaseTtlMs?: number;
}

export interface AcquireOptions extends TryAcquireOptions {
  /** Give up (and return the refusal) when the wait would exceed this. 0 = behave like tryAcquire. */
  maxWaitMs: number;
  /** Aborting rejects the pending acquire with `signal.reason`. */
  signal?: AbortSignal;
}

/** What a provider's response headers say about its own view of our limits. */
export interface ProviderLimitInfo {
  remainingRequests?: number;
  remainingTokens?: number;
  /** Time until the provider's request limit is fully replenished (OpenAI x-ratelimit-reset-requests, …). */
  resetRequestsMs?: number;
  /** Time until the provider's token limit is fully replenished. */
  resetTokensMs?: number;
  /** From a 429's retry-after: no call to this key until now + retryAfterMs. */
  retryAfterMs?: number;
}

/** Current state of one key, refilled to now (read-only; for the admin API and tests). */
export interface RateLimitSnapshot {
  key: string;
  /** Requests available now (fractional); undefined when no rpm is known for the key. */
  requests?: number;
  /** Tokens available now (fractional, may be negative); undefined when no tpm is known. */
  tokens?: number;
  /** Live (unexpired) concurrency leases. */
  inFlight: number;
  /** Set while a provider's retry-after is in force. */
  blockedUntil?: number;
  /** Callers queued in `acquire` (live tickets, every process). */
  waiting: number;
}

export interface RateLimiterOptions {
  /** Default lease lifetime (crash safety net; keep above the longest call, unless `renewLeases`). Default 10 minutes. */
  leaseTtlMs?: number;
  /**
   * Renew each lease every third of its lifetime until it is settled, so the lifetime can be short: a holder
   * killed mid-call (kill -9) stops renewing, and its concurrency slot frees within one lifetime instead of
   * after the longest call could take. Renewal stops after an hour (a lease never settled must not live on).
   * Default false.
   */
  renewLeases?: boolean;
  /** Retry interval suggested when the concurrency limit refuses (a slot can free at any time). Default 250. */
  concurrencyPollMs?: number;
  /** How long idle state outlives the moment it stops mattering. Default 60 000. */
  idleTtlMs?: number;
  /** Upper bound of the random jitter added to each wait in `acquire`. Default 100 ms. */
  maxJitterMs?: number;
  /**
   * How long a waiter's ticket outlives its planned wake-up (plus jitter) before other waiters may pass it:
   * covers event-loop lag and clock skew between hosts, and bounds how long a crashed waiter holds up the
   * queue. A waiter that wakes after its ticket expired takes its old place again. Default 2 000.
   */
  ticketGraceMs?: number;
  /** Replaceable for tests; must honour the signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Replaceable for tests; [0, 1). */
  random?: () => number;
}

const BUCKET_LUA = `${LUA_PRELUDE}
-- level and timestamp of a bucket, refilled to now (a missing bucket is full)
local function bucket(key, cap, now)
  local v = redis.call('HMGET', key, 'v', 't')
  local level, ts = tonumber(v[1]), tonumber(v[2])
  if level == nil or ts == nil then return cap, now end
  if level > cap then level = cap end
  if now > ts then
    level = math.min(cap, level + (now - ts) * cap / 60000)
    ts = now
  end
  return level, ts
end
local function save(key, cap, level, ts, idle)
  redis.call('HSET', key, 'v', fmt(level), 't', fmt(ts), 'c', fmt(cap))
  redis.call('PEXPIRE', key, math.ceil(math.max(0, cap - level) * 60000 / cap) + idle)
end
`;

// KEYS: req, tok, leases, block, queue, qexp, qtok. ARGV: now, rpm, tpm, maxConcurrency (0 = none), tokens,
// leaseId, leaseExpiresAt, idleMs, concurrencyPollMs, ticket ('' = do not queue), ticket's arrival number
// ('' = new ticket), maxWaitMs (queue only when the wait fits in it), ticketHoldMs (expiry past the wait).
// Returns {1} (granted; the ticket is gone) or {0, reason, retryAfterMs, arrival number ('' = not queued)}.
const ACQUIRE = new RedisScript(
  `${BUCKET_LUA}
local now = tonumber(ARGV[1])
local rpm, tpm, maxc = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local leaseUntil, idle, poll = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local ticket, seqArg, maxWait, hold = ARGV[10], tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])

-- drop the tickets of waiters that crashed or stalled
local expired = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[5], id)
  redis.call('HDEL', KEYS[7], id)
end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now) end

-- the tickets ahead of this caller: all of them for a newcomer, those that arrived earlier for a waiter
local queued = false
local ahead
if ticket ~= '' then
  ahead = redis.call('ZRANK', KEYS[5], ticket)
  if ahead ~= false then
    queued = true
  elseif seqArg ~= nil then
    ahead = redis.call('ZCOUNT', KEYS[5], '-inf', '(' .. fmt(seqArg))
  end
end
if ahead == nil or ahead == false then ahead = redis.call('ZCARD', KEYS[5]) end
local aheadTokens = 0
if ahead > 0 and tpm > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[5], 0, ahead - 1)) do
    aheadTokens = aheadTokens + (tonumber(redis.call('HGET', KEYS[7], id)) or 0)
  end
end

local reason, wait = nil, 0
local function refuse(r, ms)
  if reason == nil or ms > wait then reason, wait = r, ms end
end

local blocked = tonumber(redis.call('GET', KEYS[4]))
if blocked ~= nil and blocked > now then refuse('blocked', blocked - now) end

-- enough must be left for everyone ahead (they are served first) and then for this call
local rl, rts, tl, tts
if rpm > 0 then
  rl, rts = bucket(KEYS[1], rpm, now)
  local need = ahead + math.min(1, rpm)
  if rl < need then refuse('rpm', (need - rl) * 60000 / rpm) end
end
if tpm > 0 then
  tl, tts = bucket(KEYS[2], tpm, now)
  -- a call larger than the whole bucket goes through when the bucket is full (and drives it negative)
  local need = aheadTokens + math.min(cost, tpm)
  if tl < need then refuse('tpm', (need - tl) * 60000 / tpm) end
end
if maxc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) + ahead >= maxc then
    local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    local ms = poll
    if first[2] ~= nil then ms = math.min(poll, tonumber(first[2]) - now) end
    refuse('concurrency', ms)
  end
end

local function dequeue()
  redis.call('ZREM', KEYS[5], ticket)
  redis.call('ZREM', KEYS[6], ticket)
  redis.call('HDEL', KEYS[7], ticket)
end

if reason ~= nil then
  wait = math.max(1, math.ceil(wait))
  if ticket == '' or wait > maxWait then
    if queued then dequeue() end
    return {0, reason, tostring(wait), ''}
  end
  local seq = seqArg
  if queued then
    seq = tonumber(redis.call('ZSCORE', KEYS[5], ticket))
  else
    if seq == nil then
      local last = redis.call('ZRANGE', KEYS[5], -1, -1, 'WITHSCORES')
      seq = 1
      if last[2] ~= nil then seq = tonumber(last[2]) + 1 end
    end
    redis.call('ZADD', KEYS[5], seq, ticket)
    redis.call('HSET', KEYS[7], ticket, fmt(cost))
  end
  redis.call('ZADD', KEYS[6], now + wait + hold, ticket)
  local lastExp = redis.call('ZRANGE', KEYS[6], -1, -1, 'WITHSCORES')
  local ttl = math.ceil(tonumber(lastExp[2]) - now) + idle
  for i = 5, 7 do redis.call('PEXPIRE', KEYS[i], ttl) end
  return {0, reason, tostring(wait), fmt(seq)}
end

if queued then dequeue() end
if rpm > 0 then save(KEYS[1], rpm, rl - 1, rts, idle) end
if tpm > 0 then save(KEYS[2], tpm, tl - cost, tts, idle) end
if maxc > 0 then
  redis.call('ZADD', KEYS[3], leaseUntil, ARGV[6])
  local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[3], math.ceil(tonumber(last[2]) - now) + idle)
end
return {1}
`,
  { keys: 7 },
);

// KEYS: queue, qexp, qtok. ARGV: ticket. A waiter gave up (timeout, abort, error).
const LEAVE = new RedisScript(
  `
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
`,
  { keys: 3 },
);

// KEYS: tok, leases. ARGV: now, tpm (0 = none), delta tokens (+ refund / - extra charge), leaseId, idleMs.
const SETTLE = new RedisScript(
  `${BUCKET_LUA}
local now, tpm, delta, idle = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local removed = redis.call('ZREM', KEYS[2], ARGV[4])
if tpm > 0 and delta ~= 0 then
  local level, ts = bucket(KEYS[1], tpm, now)
  save(KEYS[1], tpm, math.min(tpm, level + delta), ts, idle)
end
return removed
`,
  { keys: 2 },
);

// KEYS: leases. ARGV: now, leaseId, new expiry, idleMs. Returns 1 if the lease was still live.
const EXTEND = new RedisScript(
  `
local now, untilMs, idle = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[2]))
if score == nil then return 0 end
if score <= now then
  redis.call('ZREM', KEYS[1], ARGV[2])
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', untilMs, ARGV[2])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(last[2]) - now) + idle)
return 1
`,
  { keys: 1 },
);

// KEYS: req, tok, block. ARGV: now, remainingRequests, remainingTokens, resetRequestsMs, resetTokensMs,
// retryAfterMs ('' = not given), rpm, tpm (0 = use the capacity stored by the last acquire), idleMs.
const TIGHTEN = new RedisScript(
  `${BUCKET_LUA}
local now, idle = tonumber(ARGV[1]), tonumber(ARGV[9])
local function lower(key, capArg, remaining, reset)
  if remaining == nil and reset == nil then return end
  local cap = tonumber(capArg)
  if cap == nil or cap <= 0 then cap = tonumber(redis.call('HGET', key, 'c')) end
  if cap == nil or cap <= 0 then return end
  local level, ts = bucket(key, cap, now)
  local seen = level
  if remaining ~= nil and remaining < seen then seen = remaining end
  -- "fully replenished in reset ms" at our refill rate means this much is left now
  if reset ~= nil then
    local derived = cap - reset * cap / 60000
    if derived < seen then seen = derived end
  end
  if seen < level then save(key, cap, seen, ts, idle) end
end
lower(KEYS[1], ARGV[7], tonumber(ARGV[2]), tonumber(ARGV[4]))
lower(KEYS[2], ARGV[8], tonumber(ARGV[3]), tonumber(ARGV[5]))
local ra = tonumber(ARGV[6])
if ra ~= nil and ra > 0 then
  local untilMs = now + ra
  local cur = tonumber(redis.call('GET', KEYS[3]))
  if cur == nil or untilMs > cur then
    redis.call('SET', KEYS[3], fmt(untilMs), 'PX', math.ceil(ra) + idle)
  end
end
return 1
`,
  { keys: 3 },
);

// KEYS: req, tok, leases, block, qexp. ARGV: now, rpm, tpm (0 = stored capacity). Read-only.
const PEEK = new RedisScript(
  `${BUCKET_LUA}
local now = tonumber(ARGV[1])
local function level(key, capArg)
  local cap = tonumber(capArg)
  if cap == nil or cap <= 0 then cap = tonumber(redis.call('HGET', key, 'c')) end
  if cap == nil or cap <= 0 then return '' end
  local l = bucket(key, cap, now)
  return fmt(l)
end
local blocked = tonumber(redis.call('GET', KEYS[4]))
local blockedOut = ''
if blocked ~= nil and blocked > now then blockedOut = fmt(blocked) end
return {level(KEYS[1], ARGV[2]), level(KEYS[2], ARGV[3]),
  tostring(redis.call('ZCOUNT', KEYS[3], '(' .. ARGV[1], '+inf')), blockedOut,
  tostring(redis.call('ZCOUNT', KEYS[5], '(' .. ARGV[1], '+inf'))}
`,
  { keys: 5 },
);

const DEFAULTS = {
  leaseTtlMs: 10 * 60_000,
  concurrencyPollMs: 250,
  idleTtlMs: 60_000,
  maxJitterMs: 100,
  ticketGraceMs: 2_000,
} as const;

interface RateKeys {
  req: string;
  tok: string;
  leases: string;
  block: string;
  queue: string;
  qexp: string;
  qtok: string;
}

function rateKeys(key: string): RateKeys {
  const base = `margin:rl:${hashTag(key)}`;
  return {
    req: `${base}:req`,
    tok: `${base}:tok`,
    leases: `${base}:leases`,
    block: `${base}:block`,
    queue: `${base}:queue`,
    qexp: `${base}:qexp`,
    qtok: `${base}:qtok`,
  };
}

/** A waiter's place in the queue: its ticket and, once queued, its arrival number. */
interface Ticket {
  id: string;
  seq?: number;
  /** The longest wait worth queueing for. */
  maxWaitMs: number;
}

/** A refusal also says whether the ticket is (still) queued, and under which arrival number. */
type Attempt = { ok: true; lease: Lease } | (LimitRefusal & { queuedAs?: number });

function limitArg(name: string, value: number | null | undefined, integer = false): number {
  if (value == null) return 0;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'} (or absent for no limit), got ${value}`);
  }
  return value;
}

function optionalArg(name: string, value: number | undefined): string {
  if (value == null) return '';
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  return String(value);
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles a lease in Redis: refunds `delta` tokens (negative: charges extra) and frees its slot. */
type LeaseSettler = (lease: Lease, delta: number) => Promise<void>;
type LeaseExtender = (lease: Lease, ttlMs: number) => Promise<boolean>;

/**
 * The right to make one call. Settle it once the call is done (`settle` with the actual usage, or `release`
 * when the call failed); both free the concurrency slot, and a second settle/release is a no-op.
 */
export class Lease {
  private done?: Promise<void>;

  /** @internal created by RateLimiter */
  constructor(
    /** The `provider/model` key. */
    readonly key: string,
    readonly id: string,
    /** Tokens charged at dispatch. */
    readonly tokens: number,
    /** Limits the lease was acquired under (settlement refills the bucket with these). */
    readonly limits: Readonly<ModelLimits>,
    /** The clock reading the grant was made at. */
    readonly acquiredAt: number,
    private readonly settler: LeaseSettler,
    private readonly extender: LeaseExtender,
  ) {}

  get settled(): boolean {
    return this.done !== undefined;
  }

  /**
   * The call finished: refund `tokens - actualTokens` (or, when the call used more than its estimate, charge
   * the excess, which can drive the bucket negative) and free the concurrency slot. The request stays counted.
   */
  settle(usage: { actualTokens: number }): Promise<void> {
    const actual = Number.isFinite(usage.actualTokens) ? Math.max(0, usage.actualTokens) : this.tokens;
    return this.finish(this.tokens - actual);
  }

  /** The call failed: by default it used no tokens, so all are refunded; the request stays counted. */
  release(usage: { actualTokens?: number } = {}): Promise<void> {
    return this.settle({ actualTokens: usage.actualTokens ?? 0 });
  }

  /** Keep the concurrency slot for `ttlMs` more (long streams). False if the lease had already expired or been settled. */
  async extend(ttlMs: number): Promise<boolean> {
    if (this.done) return false;
    return this.extender(this, ttlMs);
  }

  private renewal?: NodeJS.Timeout;

  /** @internal Renews the lease by `ttlMs` every third of it until settled (see RateLimiterOptions.renewLeases). */
  keepRenewing(ttlMs: number, maxHoldMs = 60 * 60_000): void {
    const until = Date.now() + maxHoldMs;
    this.renewal = setInterval(
      () => {
        if (this.done || Date.now() > until) return this.stopRenewing();
        // A failed renewal (Redis away) is retried at the next tick; the lease lifetime is the safety net.
        this.extend(ttlMs).catch(() => undefined);
      },
      Math.max(1, Math.floor(ttlMs / 3)),
    );
    this.renewal.unref();
  }

  private stopRenewing(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = undefined;
  }

  private finish(delta: number): Promise<void> {
    this.stopRenewing();
    if (!this.done) {
      this.done = this.settler(this, delta).catch((err: unknown) => {
        this.done = undefined; // let the caller retry; the lease expiry is the safety net meanwhile
        throw err;
      });
    }
    return this.done;
  }
}

/**
 * Global rate limiter (see the file comment). Plain class: give it an ioredis connection and a millisecond
 * clock. `RateLimiterService` is the Nest-injectable flavour.
 */
export class RateLimiter {
  private readonly opts: Required<RateLimiterOptions>;
  private readonly scripts: Record<'acquire' | 'leave' | 'settle' | 'extend' | 'tighten' | 'peek', ScriptCall>;

  constructor(
    redis: RedisClient,
    private readonly now: () => number,
    options: RateLimiterOptions = {},
  ) {
    this.scripts = {
      acquire: ACQUIRE.defineOn(redis),
      leave: LEAVE.defineOn(redis),
      settle: SETTLE.defineOn(redis),
      extend: EXTEND.defineOn(redis),
      tighten: TIGHTEN.defineOn(redis),
      peek: PEEK.defineOn(redis),
    };
    this.opts = {
      leaseTtlMs: options.leaseTtlMs ?? DEFAULTS.leaseTtlMs,
      renewLeases: options.renewLeases ?? false,
      concurrencyPollMs: options.concurrencyPollMs ?? DEFAULTS.concurrencyPollMs,
      idleTtlMs: options.idleTtlMs ?? DEFAULTS.idleTtlMs,
      maxJitterMs: options.maxJitterMs ?? DEFAULTS.maxJitterMs,
      ticketGraceMs: options.ticketGraceMs ?? DEFAULTS.ticketGraceMs,
      sleep: options.sleep ?? defaultSleep,
      random: options.random ?? Math.random,
    };
  }

  /**
   * One atomic attempt: all limits pass and all are charged, or nothing is charged. Callers queued in
   * `acquire` come first: while there are any, this is refused unless enough is left for all of them too.
   */
  async tryAcquire(key: string, limits: ModelLimits, options: TryAcquireOptions): Promise<AcquireResult> {
    const result = await this.attempt(key, limits, options);
    return result.ok ? result : { ok: false, reason: result.reason, retryAfterMs: result.retryAfterMs };
  }

  /**
   * Waits for the limits up to `maxWaitMs`, first come first served across all processes: the first refusal
   * queues a ticket, and the waiter sleeps until its turn at the current rate (plus a little jitter), then
   * tries again. Returns the refusal at once when its turn would come after the deadline (so a long queue is
   * refused early, with the time its turn would come as retryAfterMs), and removes its ticket whenever it
   * gives up (deadline, abort, error).
   */
  async acquire(key: string, limits: ModelLimits, options: AcquireOptions): Promise<AcquireResult> {
    const deadline = this.now() + Math.max(0, options.maxWaitMs);
    if (!(options.maxWaitMs > 0)) {
      options.signal?.throwIfAborted();
      return this.tryAcquire(key, limits, options);
    }
    const ticket: Ticket = { id: randomUUID(), maxWaitMs: options.maxWaitMs };
    let queued = false;
    try {
      for (;;) {
        options.signal?.throwIfAborted();
        ticket.maxWaitMs = Math.max(0, deadline - this.now());
        const result = await this.attempt(key, limits, options, ticket);
        if (result.ok) {
          queued = false;
          return result;
        }
        const refusal: LimitRefusal = { ok: false, reason: result.reason, retryAfterMs: result.retryAfterMs };
        queued = result.queuedAs !== undefined;
        if (!queued) return refusal;
        ticket.seq = result.queuedAs;
        const left = deadline - this.now();
        if (result.retryAfterMs > left) return refusal;
        const jitter = this.opts.random() * Math.min(this.opts.maxJitterMs, Math.max(1, result.retryAfterMs * 0.2));
        await this.opts.sleep(Math.min(left, result.retryAfterMs + jitter), options.signal);
      }
    } finally {
      if (queued) await this.leaveQueue(key, ticket.id);
    }
  }

  /**
   * Learn from the provider's own rate-limit headers: lower our buckets when the provider says less remains
   * than we think (never raise them), and on a retry-after (429) refuse every call to the key until
   * now + retryAfterMs. `limits` is only needed before the key's first acquire (else the capacity the last
   * acquire stored is used).
   */
  async tighten(key: string, info: ProviderLimitInfo, limits: ModelLimits = {}): Promise<void> {
    const k = rateKeys(key);
    await this.scripts.tighten(
      [k.req, k.tok, k.block],
      [
        this.now(),
        optionalArg('remainingRequests', info.remainingRequests),
        optionalArg('remainingTokens', info.remainingTokens),
        optionalArg('resetRequestsMs', info.resetRequestsMs),
        optionalArg('resetTokensMs', info.resetTokensMs),
        optionalArg('retryAfterMs', info.retryAfterMs),
        limitArg('rpm', limits.rpm),
        limitArg('tpm', limits.tpm),
        this.opts.idleTtlMs,
      ],
    );
  }

  /** Read-only view of a key, refilled to now. */
  async peek(key: string, limits: ModelLimits = {}): Promise<RateLimitSnapshot> {
    const k = rateKeys(key);
    const reply = await this.scripts.peek([k.req, k.tok, k.leases, k.block, k.qexp], [this.now(), limitArg('rpm', limits.rpm), limitArg('tpm', limits.tpm)]);
    return {
      key,
      requests: replyNumber(reply, 0),
      tokens: replyNumber(reply, 1),
      inFlight: replyNumber(reply, 2) ?? 0,
      blockedUntil: replyNumber(reply, 3),
      waiting: replyNumber(reply, 4) ?? 0,
    };
  }

  private async attempt(key: string, limits: ModelLimits, options: TryAcquireOptions, ticket?: Ticket): Promise<Attempt> {
    const rpm = limitArg('rpm', limits.rpm);
    const tpm = limitArg('tpm', limits.tpm);
    const maxConcurrency = limitArg('maxConcurrency', limits.maxConcurrency, true);
    const tokens = options.tokens;
    if (!Number.isFinite(tokens) || tokens < 0) throw new RangeError(`tokens must be a finite number >= 0, got ${tokens}`);
    const ttl = options.leaseTtlMs ?? this.opts.leaseTtlMs;
    if (!Number.isFinite(ttl) || ttl <= 0) throw new RangeError(`leaseTtlMs must be positive, got ${ttl}`);

    const k = rateKeys(key);
    const now = this.now();
    const id = randomUUID();
    const reply = await this.scripts.acquire(
      [k.req, k.tok, k.leases, k.block, k.queue, k.qexp, k.qtok],
      [
        now,
        rpm,
        tpm,
        maxConcurrency,
        tokens,
        id,
        now + ttl,
        this.opts.idleTtlMs,
        this.opts.concurrencyPollMs,
        ticket?.id ?? '',
        ticket?.seq ?? '',
        ticket?.maxWaitMs ?? 0,
        this.opts.maxJitterMs + this.opts.ticketGraceMs,
      ],
    );
    if (replyNumber(reply, 0) === 1) {
      const lease = new Lease(
        key,
        id,
        tokens,
        { rpm: limits.rpm, tpm: limits.tpm, maxConcurrency: limits.maxConcurrency },
        now,
        (l, delta) => this.settleLease(l, delta),
        (l, ms) => this.extendLease(l, ms),
      );
      if (this.opts.renewLeases) lease.keepRenewing(ttl);
      return { ok: true, lease };
    }
    const reason = replyString(reply, 1);
    if (reason !== 'rpm' && reason !== 'tpm' && reason !== 'concurrency' && reason !== 'blocked') {
      throw new TypeError(`unexpected limiter refusal reason: ${reason}`);
    }
    return { ok: false, reason, retryAfterMs: replyNumber(reply, 2) ?? 1, queuedAs: replyNumber(reply, 3) };
  }

  /** Best effort: a ticket left behind (Redis unreachable) expires by itself. */
  private async leaveQueue(key: string, ticket: string): Promise<void> {
    const k = rateKeys(key);
    try {
      await this.scripts.leave([k.queue, k.qexp, k.qtok], [ticket]);
    } catch {
      // the ticket expires ticketGraceMs after its holder's planned wake-up
    }
  }

  private async settleLease(lease: Lease, delta: number): Promise<void> {
    const k = rateKeys(lease.key);
    await this.scripts.settle([k.tok, k.leases], [this.now(), limitArg('tpm', lease.limits.tpm), delta, lease.id, this.opts.idleTtlMs]);
  }

  private async extendLease(lease: Lease, ttlMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be positive, got ${ttlMs}`);
    const k = rateKeys(lease.key);
    const now = this.now();
    const reply = await this.scripts.extend([k.leases], [now, lease.id, now + ttlMs, this.opts.idleTtlMs]);
    return Number(reply) === 1;
  }
}

/** Nest-injectable RateLimiter on the shared Redis connection and the app Clock. */
@Injectable()
export class RateLimiterService extends RateLimiter {
  constructor(@Inject(REDIS) redis: Redis, clock: Clock) {
    // Short, renewed leases: a worker killed mid-call gives its model slots back within 30 s, not 10 minutes.
    super(redis, () => clock.now().getTime(), { leaseTtlMs: 30_000, renewLeases: true });
  }
}
