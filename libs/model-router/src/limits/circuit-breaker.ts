import { Inject, Injectable } from '@nestjs/common';
import { Clock, REDIS, RedisScript, replyNumber, replyString, type RedisClient, type ScriptCall } from '@margin/core';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { LUA_PRELUDE, hashTag } from './script-helpers';

/**
 * Global circuit breaker per `provider/model`, held in Redis so that all workers see the same state.
 *
 *  - closed: calls pass. Failures are counted in a sliding window (timestamps in a sorted set, trimmed to
 *    `windowMs`); a success resets the count, so the circuit opens on `failureThreshold` failures within the
 *    window with no success in between.
 *  - open: calls are refused for `openMs` after the circuit opened.
 *  - half-open (after `openMs`): exactly one caller, across all processes, gets a probe permit; everyone else
 *    is refused until the probe reports. Its success closes the circuit, its failure re-opens it for another
 *    `openMs`. A probe that never reports (crashed worker) loses its permit after `probeTimeoutMs`, and the
 *    next caller becomes the probe.
 * Outcomes reported while the circuit is open (calls dispatched before it opened) are ignored: they neither
 * close it nor extend it, so the cool-off period always runs.
 *
 * Time: `now` comes from the injected clock and is passed to the scripts (never Redis TIME), as in the
 * rate limiter; workers agree to within their clock skew.
 *
 * Redis keys (`{…}` = Redis Cluster hash tag):
 *   margin:cb:{provider/model}:state     hash  openedAt (ms), probeUntil (ms); absent = closed
 *   margin:cb:{provider/model}:failures  zset  failure id → time (ms), trimmed to the window
 * Both expire when idle.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Failures within `windowMs` (with no success in between) that open the circuit. Default 5. */
  failureThreshold?: number;
  /** Sliding window for counting failures. Default 60 000. */
  windowMs?: number;
  /** How long the circuit stays open before a probe is allowed. Default 30 000. */
  openMs?: number;
  /** How long a half-open probe permit is held before another caller may probe. Default 60 000. */
  probeTimeoutMs?: number;
}

export interface CircuitPass {
  allowed: boolean;
  state: CircuitState;
  /** This caller holds the half-open probe permit: report its outcome with recordSuccess/recordFailure. */
  probe?: boolean;
  /** When refused: until the circuit half-opens, or (half-open, probe out) until the probe permit lapses at the latest. */
  retryAfterMs?: number;
}

export interface CircuitSnapshot {
  key: string;
  state: CircuitState;
  /** Failures within the window right now. */
  failures: number;
  openedAt?: number;
  retryAfterMs?: number;
}

const IDLE_MS = 60 * 60_000;

// KEYS: state, failures. ARGV: now, windowMs, openMs. Read-only.
// Returns {state, failures, openedAt|'', retryAfterMs|''}.
const READ = new RedisScript(
  `${LUA_PRELUDE}
local now, windowMs, openMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local failures = redis.call('ZCOUNT', KEYS[2], '(' .. fmt(now - windowMs), '+inf')
local v = redis.call('HMGET', KEYS[1], 'openedAt', 'probeUntil')
local openedAt, probeUntil = tonumber(v[1]), tonumber(v[2])
if openedAt == nil then return {'closed', tostring(failures), '', ''} end
if now < openedAt + openMs then
  return {'open', tostring(failures), fmt(openedAt), tostring(math.ceil(openedAt + openMs - now))}
end
if probeUntil ~= nil and probeUntil > now then
  return {'half-open', tostring(failures), fmt(openedAt), tostring(math.ceil(probeUntil - now))}
end
return {'half-open', tostring(failures), fmt(openedAt), ''}
`,
  { keys: 2 },
);

// KEYS: state. ARGV: now, openMs, probeTimeoutMs, idleMs.
// Returns {allowed 0|1, state, retryAfterMs|'', probe 0|1}.
const CAN_PASS = new RedisScript(
  `${LUA_PRELUDE}
local now, openMs, probeMs, idle = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 'openedAt', 'probeUntil')
local openedAt, probeUntil = tonumber(v[1]), tonumber(v[2])
if openedAt == nil then return {1, 'closed', '', 0} end
if now < openedAt + openMs then return {0, 'open', tostring(math.ceil(openedAt + openMs - now)), 0} end
if probeUntil ~= nil and probeUntil > now then
  return {0, 'half-open', tostring(math.ceil(probeUntil - now)), 0}
end
redis.call('HSET', KEYS[1], 'probeUntil', fmt(now + probeMs))
redis.call('PEXPIRE', KEYS[1], math.ceil(probeMs) + idle)
return {1, 'half-open', '', 1}
`,
  { keys: 1 },
);

// KEYS: state, failures. ARGV: now, openMs. Returns the state after.
const SUCCESS = new RedisScript(
  `
local now, openMs = tonumber(ARGV[1]), tonumber(ARGV[2])
local openedAt = tonumber(redis.call('HGET', KEYS[1], 'openedAt'))
if openedAt ~= nil and now < openedAt + openMs then return 'open' end
redis.call('DEL', KEYS[1], KEYS[2])
return 'closed'
`,
  { keys: 2 },
);

// KEYS: state, failures. ARGV: now, windowMs, threshold, openMs, failure id, idleMs. Returns the state after.
const FAILURE = new RedisScript(
  `${LUA_PRELUDE}
local now, windowMs, threshold, openMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local idle = tonumber(ARGV[6])
local function open()
  redis.call('HSET', KEYS[1], 'openedAt', fmt(now))
  redis.call('HDEL', KEYS[1], 'probeUntil')
  redis.call('PEXPIRE', KEYS[1], math.ceil(openMs) + idle)
  return 'open'
end
local openedAt = tonumber(redis.call('HGET', KEYS[1], 'openedAt'))
if openedAt ~= nil then
  if now < openedAt + openMs then return 'open' end
  return open()
end
redis.call('ZADD', KEYS[2], now, ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', fmt(now - windowMs))
redis.call('PEXPIRE', KEYS[2], math.ceil(windowMs) + idle)
if redis.call('ZCARD', KEYS[2]) >= threshold then return open() end
return 'closed'
`,
  { keys: 2 },
);

function isState(s: string): s is CircuitState {
  return s === 'closed' || s === 'open' || s === 'half-open';
}

function toState(s: string): CircuitState {
  if (!isState(s)) throw new TypeError(`unexpected circuit state from Redis: ${s}`);
  return s;
}

function positive(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
  return value;
}

function breakerKeys(key: string): { state: string; failures: string } {
  const base = `margin:cb:${hashTag(key)}`;
  return { state: `${base}:state`, failures: `${base}:failures` };
}

/** How long a healthy circuit (closed, no failures) read from Redis is trusted by `routingSnapshot`. */
const HEALTHY_VIEW_MS = 250;

/** Global circuit breaker (see the file comment). `CircuitBreakerService` is the Nest-injectable flavour. */
export class CircuitBreaker {
  /** Keys last read as closed with no failures, and when (performance.now()). */
  private readonly healthy = new Map<string, number>();
  readonly failureThreshold: number;
  readonly windowMs: number;
  readonly openMs: number;
  readonly probeTimeoutMs: number;
  private readonly scripts: Record<'read' | 'canPass' | 'success' | 'failure', ScriptCall>;

  constructor(
    redis: RedisClient,
    private readonly now: () => number,
    options: CircuitBreakerOptions = {},
  ) {
    this.scripts = {
      read: READ.defineOn(redis),
      canPass: CAN_PASS.defineOn(redis),
      success: SUCCESS.defineOn(redis),
      failure: FAILURE.defineOn(redis),
    };
    this.failureThreshold = positive('failureThreshold', options.failureThreshold ?? 5, true);
    this.windowMs = positive('windowMs', options.windowMs ?? 60_000);
    this.openMs = positive('openMs', options.openMs ?? 30_000);
    this.probeTimeoutMs = positive('probeTimeoutMs', options.probeTimeoutMs ?? 60_000);
  }

  async state(key: string): Promise<CircuitState> {
    return (await this.read(key, this.now())).state;
  }

  /** May a call go to this key now? In half-open, grants the single probe permit to the first caller. */
  async canPass(key: string): Promise<CircuitPass> {
    this.healthy.delete(key);
    const k = breakerKeys(key);
    const reply = await this.scripts.canPass([k.state], [this.now(), this.openMs, this.probeTimeoutMs, IDLE_MS]);
    const allowed = replyNumber(reply, 0) === 1;
    const state = toState(replyString(reply, 1));
    const retryAfterMs = replyNumber(reply, 2);
    const pass: CircuitPass = { allowed, state };
    if (replyNumber(reply, 3) === 1) pass.probe = true;
    if (!allowed && retryAfterMs !== undefined) pass.retryAfterMs = retryAfterMs;
    return pass;
  }

  /** A call succeeded: closes the circuit (from half-open) and resets the failure count. Ignored while open. */
  async recordSuccess(key: string): Promise<CircuitState> {
    this.healthy.delete(key);
    const k = breakerKeys(key);
    return toState(replyOf(await this.scripts.success([k.state, k.failures], [this.now(), this.openMs])));
  }

  /**
   * A call failed (count only failures that say something about the provider: server errors, timeouts, 429s
   * after retries — not invalid requests). Opens the circuit at the threshold; re-opens it from half-open.
   */
  async recordFailure(key: string): Promise<CircuitState> {
    this.healthy.delete(key);
    const k = breakerKeys(key);
    const reply = await this.scripts.failure([k.state, k.failures], [this.now(), this.windowMs, this.failureThreshold, this.openMs, randomUUID(), IDLE_MS]);
    return toState(replyOf(reply));
  }

  /** State of each key, for the admin API (read-only: does not hand out probe permits). */
  async snapshot(keys: readonly string[]): Promise<CircuitSnapshot[]> {
    const now = this.now();
    return Promise.all(keys.map((key) => this.read(key, now)));
  }

  /**
   * `snapshot` for routing each call: a circuit read as healthy (closed, no failures) within the last 250 ms is
   * taken as still healthy without asking Redis again, so a busy gateway reads each model's circuit a few
   * times a second rather than once per call. Anything else is read every time, and this process's own
   * outcomes drop the cached view at once; failures seen by other processes count here within 250 ms — the
   * calls dispatched in between are those the breaker already lets through while it opens.
   */
  async routingSnapshot(keys: readonly string[]): Promise<CircuitSnapshot[]> {
    const at = performance.now();
    const fresh = (key: string) => {
      const seen = this.healthy.get(key);
      return seen !== undefined && at - seen < HEALTHY_VIEW_MS;
    };
    if (keys.every(fresh)) return keys.map((key) => ({ key, state: 'closed', failures: 0 }));
    const snaps = await this.snapshot(keys);
    for (const s of snaps) {
      if (s.state === 'closed' && s.failures === 0) this.healthy.set(s.key, at);
      else this.healthy.delete(s.key);
    }
    return snaps;
  }

  private async read(key: string, now: number): Promise<CircuitSnapshot> {
    const k = breakerKeys(key);
    const reply = await this.scripts.read([k.state, k.failures], [now, this.windowMs, this.openMs]);
    const snap: CircuitSnapshot = { key, state: toState(replyString(reply, 0)), failures: replyNumber(reply, 1) ?? 0 };
    const openedAt = replyNumber(reply, 2);
    const retryAfterMs = replyNumber(reply, 3);
    if (openedAt !== undefined) snap.openedAt = openedAt;
    if (retryAfterMs !== undefined) snap.retryAfterMs = retryAfterMs;
    return snap;
  }
}

function replyOf(reply: unknown): string {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  throw new TypeError(`unexpected Redis script reply: ${String(reply)}`);
}

/** Nest-injectable CircuitBreaker (default options) on the shared Redis connection and the app Clock. */
@Injectable()
export class CircuitBreakerService extends CircuitBreaker {
  constructor(@Inject(REDIS) redis: Redis, clock: Clock) {
    super(redis, () => clock.now().getTime());
  }
}
