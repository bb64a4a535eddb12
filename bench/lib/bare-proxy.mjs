#!/usr/bin/env node
// The floor for any Node.js gateway on this machine: a pass-through proxy with no logic at all — node:http
// server, the body forwarded as is to the upstream over undici's keep-alive pool (the transport Margin's
// provider SDKs use), the answer sent back whole. Whatever a real gateway adds beyond this is its own work
// (auth, routing, limits, budgets, ledger). Usage: node bench/lib/bare-proxy.mjs <upstream-url> — prints
// {"url": …} once it listens on 127.0.0.1.
import http from 'node:http';
import { Pool } from 'undici';

const upstream = new URL(process.argv[2]);
const pool = new Pool(upstream.origin, { connections: 256, keepAliveTimeout: 30_000 });

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    pool
      .request({ path: `${upstream.pathname.replace(/\/$/, '')}${req.url}`, method: req.method, headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body: Buffer.concat(chunks) })
      .then(async (up) => {
        const body = Buffer.from(await up.body.arrayBuffer());
        res.writeHead(up.statusCode, { 'content-type': up.headers['content-type'] ?? 'application/json', 'content-length': body.length });
        res.end(body);
      })
      .catch((err) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(err) }));
      });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
