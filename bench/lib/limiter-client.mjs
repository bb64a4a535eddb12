// One load process of the limiter benchmark: `concurrency` callers in a closed loop against one Margin API
// instance's /v1/chat/completions, from `startAt` (epoch ms, shared by all load processes) for `durationMs`.
// Every answer is counted by status; a 200 counts as "used" when it completed inside the window, with the
// tokens the provider reported (usage.total_tokens).
//
// Protocol (IPC): receives {url, apiKey, concurrency, startAt, durationMs, body}, answers with the counts.
import http from 'node:http';
import { summarize } from './stats.mjs';

function post(agent, url, apiKey, body) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: '/v1/chat/completions',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(body.length), authorization: `Bearer ${apiKey}` },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            endedAt: Date.now(),
            latencyMs: Number(process.hrtime.bigint() - t0) / 1e6,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error('client timeout (60 s)')));
    req.on('error', (err) => resolve({ status: 'error', endedAt: Date.now(), latencyMs: Number(process.hrtime.bigint() - t0) / 1e6, text: err.message }));
    req.end(body);
  });
}

process.once('message', async ({ url, apiKey, concurrency, startAt, durationMs, body }) => {
  const target = new URL(url);
  const payload = Buffer.from(JSON.stringify(body));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency + 4 });
  const end = startAt + durationMs;
  const statusCounts = {};
  const okBySecond = new Array(Math.ceil(durationMs / 1000)).fill(0);
  const tokenTotals = {};
  const errorSamples = [];
  const okLatencies = [];
  const refusedLatencies = [];
  let usedRequests = 0;
  let usedTokens = 0;
  let okAfterWindow = 0;
  let sent = 0;

  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const caller = async () => {
    while (Date.now() < end) {
      sent++;
      const r = await post(agent, target, apiKey, payload);
      statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
      if (r.status === 200) {
        okLatencies.push(r.latencyMs);
        const total = JSON.parse(r.text).usage?.total_tokens ?? 0;
        tokenTotals[total] = (tokenTotals[total] ?? 0) + 1;
        if (r.endedAt <= end) {
          usedRequests++;
          usedTokens += total;
          okBySecond[Math.min(okBySecond.length - 1, Math.floor((r.endedAt - startAt) / 1000))]++;
        } else okAfterWindow++;
      } else {
        refusedLatencies.push(r.latencyMs);
        if (errorSamples.length < 5) errorSamples.push(`${r.status}: ${r.text.slice(0, 300)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  agent.destroy();
  process.send(
    {
      url,
      concurrency,
      sent,
      statusCounts,
      usedRequests,
      usedTokens,
      okAfterWindow,
      okBySecond,
      tokensPerRequest: tokenTotals,
      okLatencyMs: summarize(okLatencies),
      refusedLatencyMs: summarize(refusedLatencies),
      errorSamples,
    },
    () => process.exit(0),
  );
});
