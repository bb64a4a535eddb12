// @hono/node-server, except that serve() always binds the loopback interface (see portkey-loopback.mjs).
import { serve as realServe } from '@hono/node-server';

export * from '@hono/node-server';

export function serve(options, listeningListener) {
  return realServe({ ...options, hostname: '127.0.0.1' }, listeningListener);
}
