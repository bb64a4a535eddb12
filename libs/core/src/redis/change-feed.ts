import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { default as Redis, RedisOptions } from 'ioredis';
import { REDIS } from './redis.token';

/**
 * Cross-process "this changed, reload it" signals over Redis pub/sub, for settings every process caches in
 * memory (providers, catalog, routing policy). One subscriber connection per process.
 */
@Injectable()
export class ChangeFeed implements OnModuleDestroy {
  private readonly logger = new Logger(ChangeFeed.name);
  private subscriber?: Promise<Redis>;
  private readonly handlers = new Map<string, Array<() => void>>();

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async subscribe(topic: string, handler: () => void): Promise<void> {
    const channel = `margin:changed:${topic}`;
    this.subscriber ??= this.connect();
    const subscriber = await this.subscriber;
    const list = this.handlers.get(channel) ?? [];
    if (list.length === 0) await subscriber.subscribe(channel);
    this.handlers.set(channel, [...list, handler]);
  }

  async publish(topic: string): Promise<void> {
    await this.redis.publish(`margin:changed:${topic}`, String(Date.now()));
  }

  onModuleDestroy(): void {
    void this.subscriber?.then((s) => s.disconnect());
  }

  /** The one subscriber connection (every topic's handlers hang off its 'message' events). */
  private async connect(): Promise<Redis> {
    const subscriber = await subscriberConnection(this.redis, (err) => this.logger.warn(`change feed: ${err.message}`));
    subscriber.on('message', (ch: string) => {
      for (const h of this.handlers.get(ch) ?? []) h();
    });
    return subscriber;
  }
}

/**
 * A connection for SUBSCRIBE alone, duplicated from `redis` and resolved once it is ready. Without
 * auto-pipelining and without ioredis's CLIENT SETINFO handshake, and never sent a SUBSCRIBE before the
 * handshake's ready check: otherwise a queued SUBSCRIBE can reach Redis first, and the handshake's own INFO then
 * fails ("only (P|S)SUBSCRIBE … allowed in this context") and the process cannot start (ioredis #1505, #2037).
 * Resolves only once Redis answers: a process that starts while Redis is down waits, as it would for any command.
 */
export async function subscriberConnection(redis: Redis, onError: (err: Error) => void, options: RedisOptions = {}): Promise<Redis> {
  const subscriber = redis.duplicate({ ...options, enableAutoPipelining: false, disableClientInfo: true });
  subscriber.on('error', onError);
  if (subscriber.status !== 'ready') await new Promise<void>((resolve) => subscriber.once('ready', () => resolve()));
  return subscriber;
}
