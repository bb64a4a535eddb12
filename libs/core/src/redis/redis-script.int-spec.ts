import Redis from 'ioredis';
import { createHash, randomUUID } from 'node:crypto';
import { RedisScript } from './redis-script';

// Not the testing kit's TEST_REDIS_URL: the kit depends on core.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

describe('RedisScript (Redis)', () => {
  // As the app's shared connection is: commands issued in one tick share one round trip.
  let redis: Redis;
  const others: Redis[] = [];
  // A fresh source per run, so that no earlier run has left this script loaded.
  const echo = () => new RedisScript(`-- ${randomUUID()}\nreturn {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}`, { keys: 1 });

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
  });
  afterAll(async () => {
    await Promise.all([redis, ...others].map((r) => r.quit()));
  });

  it('loads the script on the server, and sends it again when the server has lost it', async () => {
    const script = echo();
    const call = script.defineOn(redis);
    const key = `rs:${randomUUID()}`;
    expect(await call([key], ['a'])).toEqual([key, 'a', 1]);
    expect(await redis.script('EXISTS', sha1(script.source))).toEqual([1]);
    // A restart or failover loses every script; whoever runs one next gets NOSCRIPT and falls back to the source.
    await redis.script('FLUSH');
    expect(await call([key], ['b'])).toEqual([key, 'b', 2]);
    expect(await redis.script('EXISTS', sha1(script.source))).toEqual([1]);
  });

  it('runs calls batched in one auto-pipeline each with its own reply', async () => {
    const call = echo().defineOn(redis);
    const key = `rs:${randomUUID()}`;
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? call([key], [String(i)]) : redis.echo(String(i)))));
    replies.forEach((reply, i) => {
      if (i % 2) expect(reply).toEqual([key, String(i), expect.any(Number)]);
      else expect(reply).toBe(String(i));
    });
  });

  it('works on each client it is defined on (a duplicate starts without the commands)', async () => {
    const script = echo();
    script.defineOn(redis);
    const other = redis.duplicate();
    others.push(other);
    const key = `rs:${randomUUID()}`;
    expect(await script.defineOn(other)([key], ['dup'])).toEqual([key, 'dup', 1]);
  });

  it('takes the key count per call when it is not fixed', async () => {
    const call = new RedisScript(`-- ${randomUUID()}\nreturn #KEYS .. ':' .. #ARGV`).defineOn(redis);
    expect(await call(['k1', 'k2', 'k3'], [1])).toBe('3:1');
    expect(await call([], [1, 2])).toBe('0:2');
  });

  it('refuses a call with another key count than the fixed one', async () => {
    const call = echo().defineOn(redis);
    await expect(call(['a', 'b'], [])).rejects.toThrow('this script takes 1 keys, got 2');
  });

  it('refuses to define a script while an auto-pipeline fills, and the commands in it keep their replies', async () => {
    const key = `rs:${randomUUID()}`;
    const pending = redis.set(key, 'v');
    expect(() => echo().defineOn(redis)).toThrow(/auto-pipeline/);
    await expect(pending).resolves.toBe('OK');
    expect(await redis.get(key)).toBe('v');
  });
});

function sha1(source: string): string {
  return createHash('sha1').update(source).digest('hex');
}
