// Open-loop load generator (its own process, so that it never shares an event loop with the orchestrator):
// requests leave at a constant arrival rate whatever the target's latency, over one keep-alive agent.
// Latency = from http.request() to the last byte of the response, measured with process.hrtime.bigint().
// `lag` = how late each request left compared with its schedule (shows whether the generator kept up).
//
// Protocol (IPC): receives {target: {url, headers, body}, phases: [{name, rate, seconds, pauseAfterMs}]},
// sends {event: 'phase-start' | 'phase-end', name} around each phase (the orchestrator samples CPU then),
// then {phases: [...results]}, and exits.
import http from 'node:http';
import { summarize } from './stats.mjs';

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 1024, scheduling: 'lifo' });

function runPhase(target, { name, rate, seconds }) {
  const url = new URL(target.url);
  const body = Buffer.from(typeof target.body === 'string' ? target.body : JSON.stringify(target.body));
  const options = {
    host: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...target.headers },
  };
  const total = Math.max(1, Math.round(rate * seconds));
  const intervalNs = 1e9 / rate;
  const latency = new Float64Array(total).fill(NaN);
  const lag = new Float64Array(total);
  const statusCounts = {};
  const errorSamples = [];
  let completed = 0;
  let ok = 0;
  let lastEnd = 0n;
  let sent = 0;

  return new Promise((resolve) => {
    const start = process.hrtime.bigint() + 2_000_000n;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(watchdog);
      const okLatencies = [];
      for (let i = 0; i < total; i++) if (!Number.isNaN(latency[i])) okLatencies.push(latency[i]);
      const spanS = Number((lastEnd > start ? lastEnd : start) - start) / 1e9;
      resolve({
        name,
        rate,
        seconds,
        sent,
        ok,
        errors: sent - ok,
        statusCounts,
        errorSamples,
        achievedRps: spanS > 0 ? ok / spanS : null,
        latencyMs: summarize(okLatencies),
        lagMs: summarize(lag.subarray(0, sent)),
      });
    };
    const complete = (status, sample) => {
      const t1 = process.hrtime.bigint();
      if (t1 > lastEnd) lastEnd = t1;
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
      if (sample !== undefined && errorSamples.length < 5) errorSamples.push(`${status}: ${String(sample).slice(0, 300)}`);
      completed++;
      if (completed === total) finish();
    };
    const send = (idx, scheduled) => {
      const t0 = process.hrtime.bigint();
      lag[idx] = Number(t0 - scheduled) / 1e6;
      sent++;
      let answered = false;
      const once = (status, sample) => {
        if (answered) return;
        answered = true;
        if (status === 200) {
          ok++;
          latency[idx] = Number(process.hrtime.bigint() - t0) / 1e6;
        }
        complete(status, sample);
      };
      const req = http.request(options, (res) => {
        if (res.statusCode === 200) {
          res.on('end', () => once(200));
          res.resume();
        } else {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => once(res.statusCode, Buffer.concat(chunks).toString('utf8')));
        }
      });
      req.setTimeout(30_000, () => req.destroy(new Error('client timeout (30 s)')));
      req.on('error', (err) => once('error', err.message));
      req.end(body);
    };
    let next = 0;
    const tick = () => {
      const now = process.hrtime.bigint();
      const due = Math.min(total, Math.max(0, Math.floor(Number(now - start) / intervalNs) + 1));
      while (next < due) {
        const idx = next++;
        send(idx, start + BigInt(Math.round(idx * intervalNs)));
      }
      if (next < total) {
        const waitNs = Number(start - process.hrtime.bigint()) + next * intervalNs;
        setTimeout(tick, Math.max(0, Math.floor(waitNs / 1e6)));
      }
    };
    const watchdog = setTimeout(() => {
      for (let i = completed; i < total; i++) statusCounts.unanswered = (statusCounts.unanswered ?? 0) + 1;
      finish();
    }, (seconds + 40) * 1000);
    tick();
  });
}

process.once('message', async ({ target, phases }) => {
  const results = [];
  for (const phase of phases) {
    await new Promise((r) => process.send({ event: 'phase-start', name: phase.name }, r));
    results.push(await runPhase(target, phase));
    await new Promise((r) => process.send({ event: 'phase-end', name: phase.name }, r));
    if (phase.pauseAfterMs) await new Promise((r) => setTimeout(r, phase.pauseAfterMs));
  }
  process.send({ phases: results }, () => {
    agent.destroy();
    process.exit(0);
  });
});
