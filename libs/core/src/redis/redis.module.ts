import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { ChangeFeed } from './change-feed';

export { REDIS } from './redis.token';
import { REDIS } from './redis.token';

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.redis.quit();
    } catch (err) {
      this.logger.warn(`Redis did not close cleanly: ${(err as Error).message}`);
      this.redis.disconnect();
    }
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('Redis');
        // Auto-pipelining sends the commands issued in one tick in one round trip (the hot path issues several).
        const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: true, enableAutoPipelining: true });
        // Without a listener ioredis prints every reconnect failure as an unhandled error.
        client.on('error', (err: Error) => logger.warn(`Redis connection error: ${err.message}`));
        return client;
      },
    },
    RedisCloser,
    ChangeFeed,
  ],
  exports: [REDIS, ChangeFeed],
})
export class RedisModule {}
