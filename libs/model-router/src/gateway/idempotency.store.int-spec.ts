import Redis from 'ioredis';
import { IDEMPOTENCY_LOCK_MS, IdempotencyStore, requestFingerprint } from './idempotency.store';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

describe('IdempotencyStore (Redis)', () => {
  let redis: Redis;
  let store: IdempotencyStore;
  const fp = requestFingerprint('POST', '/v1/responses', { model: 'm', input: 'a' });
  const answer = { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"id":"resp_1"}') };

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    store = new IdempotencyStore(redis);
  });
  beforeEach(async () => {
    const keys = await redis.keys('margin:v1:idem:*');
    if (keys.length) await redis.del(...keys);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('the first claim wins; a concurrent one with the same body is in flight, with another body a mismatch', async () => {
    const [a, b] = await Promise.all([store.claim('t1', 'k', fp), store.claim('t1', 'k', fp)]);
    const kinds = [a.kind, b.kind].sort();
    expect(kinds).toEqual(['claimed', 'in_flight']);
    const inFlight = (a.kind === 'in_flight' ? a : b) as { retryAfterMs: number };
    expect(inFlight.retryAfterMs).toBeGreaterThan(0);
    expect(inFlight.retryAfterMs).toBeLessThanOrEqual(IDEMPOTENCY_LOCK_MS);
    expect(await store.claim('t1', 'k', requestFingerprint('POST', '/v1/responses', { model: 'm', input: 'b' }))).toEqual({ kind: 'mismatch' });
  });

  it('a completed claim is replayed with its status, headers and bytes for 24 h; only its holder completes it', async () => {
    const c = await store.claim('t1', 'k', fp);
    if (c.kind !== 'claimed') throw new Error('not claimed');
    await store.complete('t1', 'k', fp, 'someone-else', answer);
    expect((await store.claim('t1', 'k', fp)).kind).toBe('in_flight');
    await store.complete('t1', 'k', fp, c.token, answer);
    const replay = await store.claim('t1', 'k', fp);
    expect(replay).toEqual({ kind: 'replay', answer });
    const ttl = await redis.pttl((await redis.keys('margin:v1:idem:*'))[0]!);
    expect(ttl).toBeGreaterThan(23 * 3600_000);
  });

  it('a released claim can be claimed again; tenants never share a key', async () => {
    const c = await store.claim('t1', 'k', fp);
    if (c.kind !== 'claimed') throw new Error('not claimed');
    expect((await store.claim('t2', 'k', fp)).kind).toBe('claimed');
    await store.release('t1', 'k', c.token);
    expect((await store.claim('t1', 'k', fp)).kind).toBe('claimed');
  });

  it('fingerprints differ by path and body, not by the key', () => {
    expect(requestFingerprint('POST', '/v1/embeddings', { model: 'm', input: 'a' })).not.toBe(fp);
    expect(requestFingerprint('POST', '/v1/responses', { model: 'm', input: 'a' })).toBe(fp);
  });
});
