// Closed-loop latency client for the `/api/v1/analyze` cache-hit benchmark (its own process, so it never
// shares an event loop with the orchestrator): `concurrency` callers each send one request after the other
// over one node:http keep-alive agent. Targets are interleaved in rounds (round 1: A×n, B×n, C×n; round 2: …)
// so that drift on the machine affects them alike. Latency = from http.request() to the last byte of the
// response (process.hrtime.bigint()).
//
// Protocol (IPC): receives {targets: [{name, method, url, headers, body?}], warmup, rounds, perRound, concurrency},
// answers {results: {name: {latencyMs: summary, ok, errors, statusCounts, sampleBody}}}, and exits.
import http from 'node:http';
import { summarize } from './stats.mjs';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });

function once(target) {
  const url = new URL(target.url);
  const body = target.body === undefined ? null : Buffer.from(JSON.stringify(target.body));
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: target.method,
        agent,
        headers: { ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}), ...target.headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, ms: Number(process.hrtime.bigint() - started) / 1e6, body: err.message }));
    if (body) req.write(body);
    req.end();
  });
}

async function batch(target, n, concurrency, sink) {
  let next = 0;
  const caller = async () => {
    while (next < n) {
      next++;
      const r = await once(target);
      sink?.(r);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
}

process.once('message', async ({ targets, warmup, rounds, perRound, concurrency }) => {
  const acc = Object.fromEntries(targets.map((t) => [t.name, { latencies: [], ok: 0, errors: 0, statusCounts: {}, sampleBody: null }]));
  for (const t of targets) await batch(t, warmup, concurrency);
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      const a = acc[t.name];
      await batch(t, perRound, concurrency, (res) => {
        a.statusCounts[res.status] = (a.statusCounts[res.status] ?? 0) + 1;
        if (res.status >= 200 && res.status < 300) {
          a.ok++;
          a.latencies.push(res.ms);
          a.sampleBody ??= res.body.slice(0, 400);
        } else {
          a.errors++;
          a.sampleBody ??= `${res.status}: ${res.body.slice(0, 400)}`;
        }
      });
    }
  }
  const results = {};
  for (const [name, a] of Object.entries(acc)) {
    results[name] = { latencyMs: summarize(a.latencies), ok: a.ok, errors: a.errors, statusCounts: a.statusCounts, sampleBody: a.sampleBody };
  }
  process.send({ results }, () => process.exit(0));
});
