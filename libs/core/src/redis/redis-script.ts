import type { Cluster, Redis } from 'ioredis';
import { createHash } from 'node:crypto';

/** A connection scripts run on: one server, or a cluster. */
export type RedisClient = Redis | Cluster;

/** Runs a script with these KEYS and ARGV; resolves to its reply. */
export type ScriptCall = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

type ScriptMethod = (...args: Array<string | number>) => Promise<unknown>;

/**
 * A Lua script run atomically on Redis, as an ioredis custom command (`defineCommand`): ioredis sends the
 * source once per connection, EVALSHA after that, and the source again when the server has lost it (restart,
 * SCRIPT FLUSH, failover).
 *
 * ioredis defines commands per client instance (a `duplicate()` starts without them), so whoever holds a
 * client binds the scripts it runs with `defineOn(client)` when it gets the client (its constructor), not on
 * first use: an auto-pipeline takes the client's commands when it starts filling, and a command defined while
 * one fills would fail and shift the replies of the commands batched with it (ioredis issue #1931).
 *
 * `keys`: how many KEYS every call passes, when that is fixed. Give it: on a cluster, auto-pipelining picks a
 * call's node by its first argument, which is then the first key rather than the count. Every KEYS entry of
 * one call must hash to the same cluster slot: callers put the shared part of their keys in a `{hash tag}`.
 */
export class RedisScript {
  /** The command's name on the client, from the source: two scripts never share one. */
  private readonly command: string;

  constructor(
    readonly source: string,
    private readonly options: { keys?: number } = {},
  ) {
    this.command = `margin_${createHash('sha1').update(source).digest('hex')}`;
  }

  /** Defines the script on this client (once per client; see the class comment for when) and returns its call. */
  defineOn(redis: RedisClient): ScriptCall {
    // ioredis adds a custom command as a method of the client at run time, which its typings cannot know.
    const methods = redis as unknown as Record<string, ScriptMethod | undefined>;
    if (methods[this.command] === undefined) {
      if (redis.autoPipelineQueueSize > 0) {
        throw new Error('RedisScript.defineOn: commands are waiting in an auto-pipeline of this client; define scripts when the client is handed over');
      }
      redis.defineCommand(this.command, { lua: this.source, numberOfKeys: this.options.keys });
    }
    const method = methods[this.command] as ScriptMethod;
    const fixed = this.options.keys;
    return (keys, args) => {
      if (fixed === undefined) return method.call(redis, keys.length, ...keys, ...args);
      if (keys.length !== fixed) return Promise.reject(new RangeError(`this script takes ${fixed} keys, got ${keys.length}`));
      return method.call(redis, ...keys, ...args);
    };
  }
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
