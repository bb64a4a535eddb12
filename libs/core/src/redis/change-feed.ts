import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from './redis.token';

/**
 * Cross-process "this changed, reload it" signals over Redis pub/sub, for settings every process caches in
 * memory (providers, catalog, routing policy). One subscriber connection per process.
 */
@Injectable()
export class ChangeFeed implements OnModuleDestroy {
  private readonly logger = new Logger(ChangeFeed.name);
  private subscriber?: Redis;
  private readonly handlers = new Map<string, Array<() => void>>();

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async subscribe(topic: string, handler: () => void): Promise<void> {
    const channel = `margin:changed:${topic}`;
    if (!this.subscriber) {
      this.subscriber = this.redis.duplicate();
      this.subscriber.on('error', (err: Error) => this.logger.warn(`change feed: ${err.message}`));
      this.subscriber.on('message', (ch: string) => {
        for (const h of this.handlers.get(ch) ?? []) h();
      });
    }
    const list = this.handlers.get(channel) ?? [];
    if (list.length === 0) await this.subscriber.subscribe(channel);
    this.handlers.set(channel, [...list, handler]);
  }

  async publish(topic: string): Promise<void> {
    await this.redis.publish(`margin:changed:${topic}`, String(Date.now()));
  }

  onModuleDestroy(): void {
    this.subscriber?.disconnect();
  }
}
