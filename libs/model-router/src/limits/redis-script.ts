import type Redis from 'ioredis';
import { createHash } from 'node:crypto';

/**
 * A Lua script run atomically on Redis: EVALSHA first (the script travels once per server), EVAL when the
 * server does not know it yet (first use, restart, SCRIPT FLUSH, failover). Same idea as ioredis'
 * `defineCommand`, without the untyped dynamic method.
 *
 * Every KEYS entry of one call must hash to the same Redis Cluster slot: callers put the per-model part of
 * their keys in a `{hash tag}`.
 */
export class RedisScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** Lua helpers shared by the scripts: numbers are stored as strings with full double precision. */
export const LUA_PRELUDE = `
local function fmt(x) return string.format('%.17g', x) end
`;

/**
 * The `{…}` hash-tag part of a Redis key for a `provider/model` key. Braces would break the hash tag and `%`
 * is the escape character, so those three are percent-encoded; everything else (`/`, `:`, `.`) stays readable.
 */
export function hashTag(key: string): string {
  if (key.length === 0) throw new RangeError('limit key must not be empty');
  return `{${key.replace(/[{}%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}}`;
}

/** Reads element `i` of a Lua table reply as a string ('' when missing). */
export function replyString(reply: unknown, i: number): string {
  if (!Array.isArray(reply)) throw new TypeError(`unexpected Redis script reply: ${String(reply)}`);
  const v: unknown = reply[i];
  if (v == null) return '';
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  throw new TypeError(`unexpected Redis script reply element: ${String(v)}`);
}

/** Reads element `i` of a Lua table reply as a number (undefined when missing or empty). */
export function replyNumber(reply: unknown, i: number): number | undefined {
  const s = replyString(reply, i);
  if (s === '') return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new TypeError(`unexpected non-numeric Redis script reply element: ${s}`);
  return n;
}
