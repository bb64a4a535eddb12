// `node --import ./bench/lib/portkey-loopback.mjs node_modules/@portkey-ai/gateway/build/start-server.js`
// Portkey's server calls @hono/node-server's serve() without a hostname, i.e. on every interface. This
// registers a resolve hook that hands Portkey a wrapper of that module whose serve() forces 127.0.0.1.
import { register } from 'node:module';

register('./portkey-loopback-hooks.mjs', import.meta.url);
