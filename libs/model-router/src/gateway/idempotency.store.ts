// Idempotency-Key records for /v1 POSTs, in Redis, per tenant: `pending` while the first request runs
// (a lock with a deadline of its own), then `done` with the answer as sent (status, headers, body bytes)
// for 24 hours. The key is hashed into the Redis key with the tenant id, so tenants never see each other's.
import { Inject, Injectable } from '@nestjs/common';
import { REDIS, RedisScript, type ScriptCall } from '@margin/core';
import type Redis from 'ioredis';
import { createHash, randomUUID } from 'node:crypto';

/** How long a stored answer is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
/** How long a first request may hold its key before a repeat may run it again (a crashed process frees it). */
export const IDEMPOTENCY_LOCK_MS = 10 * 60_000;
/** Answers larger than this are not stored (the key is freed, so a repeat runs again). */
export const IDEMPOTENCY_MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type Claim =
  { kind: 'claimed'; token: string } | { kind: 'replay'; answer: StoredAnswer } | { kind: 'in_flight'; retryAfterMs: number } | { kind: 'mismatch' };

interface Record_ {
  state: 'pending' | 'done';
  fingerprint: string;
  token?: string;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

// KEYS[1] the record. ARGV: pending record JSON, lock ms. Claims the key or returns what holds it (and its TTL).
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'claimed', ''} end
return {redis.call('GET', KEYS[1]) or '', tostring(redis.call('PTTL', KEYS[1]))}
`;
// KEYS[1] the record. ARGV: token, done record JSON (or '' to free the key), ttl ms. Only the claim's holder writes.
const SETTLE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local ok, rec = pcall(cjson.decode, cur)
if not ok or rec['token'] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
`;

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n`)
    .update(JSON.stringify(body ?? null))
    .digest('hex');
}

@Injectable()
export class IdempotencyStore {
  private readonly claimScript: ScriptCall;
  private readonly settleScript: ScriptCall;

  constructor(@Inject(REDIS) private readonly redis: Redis) {
    this.claimScript = new RedisScript(CLAIM, { keys: 1 }).defineOn(redis);
    this.settleScript = new RedisScript(SETTLE, { keys: 1 }).defineOn(redis);
  }

  private key(tenantId: string, idempotencyKey: string): string {
    return `margin:v1:idem:{${tenantId}}:${createHash('sha256').update(idempotencyKey).digest('hex')}`;
  }

  async claim(tenantId: string, idempotencyKey: string, fingerprint: string): Promise<Claim> {
    const token = randomUUID();
    const pending: Record_ = { state: 'pending', fingerprint, token };
    for (let i = 0; i < 3; i++) {
      const reply = (await this.claimScript([this.key(tenantId, idempotencyKey)], [JSON.stringify(pending), IDEMPOTENCY_LOCK_MS])) as [string, string];
      if (reply[0] === 'claimed') return { kind: 'claimed', token };
      if (!reply[0]) continue; // expired between SET and GET: claim again
      const held = JSON.parse(reply[0]) as Record_;
      if (held.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (held.state === 'pending') return { kind: 'in_flight', retryAfterMs: Math.max(0, Number(reply[1])) };
      return { kind: 'replay', answer: { status: held.status ?? 200, headers: held.headers ?? {}, body: Buffer.from(held.body ?? '', 'base64') } };
    }
    throw new Error('could not claim the idempotency key');
  }

  /** Stores the answer for replay (24 h); only the claim's holder can. */
  async complete(tenantId: string, idempotencyKey: string, fingerprint: string, token: string, answer: StoredAnswer): Promise<void> {
    const done: Record_ = { state: 'done', fingerprint, token, status: answer.status, headers: answer.headers, body: answer.body.toString('base64') };
    await this.settleScript([this.key(tenantId, idempotencyKey)], [token, JSON.stringify(done), IDEMPOTENCY_TTL_MS]);
  }

  /** Frees the key (the request failed or was not stored): a repeat runs again. */
  async release(tenantId: string, idempotencyKey: string, token: string): Promise<void> {
    await this.settleScript([this.key(tenantId, idempotencyKey)], [token, '', 0]);
  }
}
