import { type INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';

/**
 * socket.io with the Redis adapter: a broadcast on one API instance (or from a worker's emitter) reaches the
 * sockets of every instance. Served on the API's own HTTP server, path `/socket.io`, socket.io's default CORS
 * (none: the SPA is same-origin).
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly logger = new Logger(RedisIoAdapter.name);
  private pub?: Redis;
  private sub?: Redis;
  private adapterConstructor?: ReturnType<typeof createAdapter>;

  constructor(
    app: INestApplicationContext,
    private readonly redisUrl: string,
  ) {
    super(app);
  }

  /**
   * Opens the publishing and subscribing connections. Call it before `app.useWebSocketAdapter(adapter)`.
   * The adapter is usable as soon as this returns (ioredis queues commands until connected); the promise
   * resolves once both connections are ready, for callers that want to wait.
   */
  connectToRedis(): Promise<void> {
    if (!this.pub || !this.sub) {
      const pub = new Redis(this.redisUrl, { maxRetriesPerRequest: 3 });
      // The subscriber must keep retrying forever: it carries every other instance's broadcasts.
      // (no CLIENT SETINFO handshake: its commands can interleave with the adapter's first SUBSCRIBE, ioredis #2037)
      const sub = pub.duplicate({ maxRetriesPerRequest: null, disableClientInfo: true });
      for (const client of [pub, sub]) {
        client.on('error', (err: Error) => this.logger.warn(`socket.io Redis adapter: ${err.message}`));
      }
      this.pub = pub;
      this.sub = sub;
      this.adapterConstructor = createAdapter(pub, sub);
    }
    return Promise.all([ready(this.pub), ready(this.sub)]).then(() => undefined);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    if (!this.adapterConstructor) throw new Error('RedisIoAdapter: call connectToRedis() before the app starts');
    const server = super.createIOServer(port, options) as Server;
    server.adapter(this.adapterConstructor);
    return server;
  }

  /** Nest calls this on app.close(), after the socket.io servers (and their adapters) are closed. */
  override async dispose(): Promise<void> {
    await super.dispose();
    const clients = [this.pub, this.sub].filter((c): c is Redis => c !== undefined);
    this.pub = this.sub = undefined;
    this.adapterConstructor = undefined;
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

function ready(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      client.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      client.off('ready', onReady);
      reject(new Error('Redis connection closed before it was ready'));
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}
