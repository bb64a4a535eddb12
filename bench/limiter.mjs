// Benchmark 2 — limiter utilization: 3 Margin API instances (3 processes, one Redis-held global limiter)
// each driven by its own load process that always wants more than the limit, against an emulator model that
// enforces the same RPM/TPM as Margin's catalog entry. Measures how much of the limit Margin uses, whether it
// ever sends a request over it (the emulator's 429s), and how many callers it turns away.
import os from 'node:os';
import { startEmulator } from './lib/emulator.mjs';
import { BENCH_MODEL, clearLimiterState, getModel, ownerSession, prepareMargin, setModelLimits, startApi } from './lib/margin.mjs';
import { cpuDelta, cpuSnapshot, waitForQuiet } from './lib/cpu.mjs';
import { log, spawnNode } from './lib/procs.mjs';
import { fmtMs, fmtPct, round, table } from './lib/stats.mjs';

const num = (name, fallback) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

const INSTANCES = 3;
const PROMPT = 'Write a detailed essay in 500 words about token buckets, global rate limits and fairness between workers.';
const PROBE_MODEL = 'gpt-4.1-mini'; // unlimited in the bench config; the emulator's answer does not depend on the model

async function probe(emuUrl, maxTokens) {
  const res = await fetch(`${emuUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
    body: JSON.stringify({ model: PROBE_MODEL, messages: [{ role: 'user', content: PROMPT }], max_tokens: maxTokens }),
  });
  if (res.status !== 200) throw new Error(`emulator probe failed (${res.status}): ${await res.text()}`);
  return (await res.json()).usage;
}

/**
 * max_tokens such that every call uses exactly tpm/rpm tokens (prompt + a completion cut at max_tokens): then
 * the request and token limits bind together, and both can be checked for utilization in one run.
 */
async function sizeRequest(emuUrl, rpm, tpm) {
  const perRequest = tpm / rpm;
  const first = await probe(emuUrl, 16);
  const maxTokens = Math.floor(perRequest) - first.prompt_tokens;
  if (!Number.isInteger(perRequest) || maxTokens < 1) return { maxTokens: 16, tokensPerRequest: first.total_tokens, bothBind: false };
  const check = await probe(emuUrl, maxTokens);
  return { maxTokens, tokensPerRequest: check.total_tokens, promptTokens: check.prompt_tokens, bothBind: check.total_tokens === perRequest };
}

/** Starts one load process; `done` resolves with its counts. */
function runClient(name, options) {
  const proc = spawnNode(name, ['bench/lib/limiter-client.mjs'], { ipc: true });
  const done = new Promise((resolve, reject) => {
    proc.child.once('message', resolve);
    proc.exited.then(({ code, signal }) => reject(new Error(`${name} exited (${code ?? signal}) without results\n${proc.output()}`)));
    proc.child.send(options);
  });
  return { pid: proc.pid, done: done.finally(() => proc.stop()) };
}

export async function limiterBenchmark() {
  const seconds = num('BENCH_LIMITER_SECONDS', 120);
  const rpm = num('BENCH_LIMITER_RPM', 300);
  const tpm = num('BENCH_LIMITER_TPM', 30_000);
  const concurrency = num('BENCH_LIMITER_CONCURRENCY', 4);
  const startedAt = new Date();
  const loadBefore = os.loadavg();

  log(`limiter: emulator gpt-4o-mini limited to ${rpm} RPM / ${tpm} TPM; ${INSTANCES} API instances × ${concurrency} callers; ${seconds} s`);
  const emu = await startEmulator('emulator-limiter', {
    timeScale: 0,
    models: [
      { name: 'gpt-4o-mini', rpm, tpm },
      { name: PROBE_MODEL, rpm: 0, tpm: 0 },
    ],
  });
  const apis = [];
  try {
    const sizing = await sizeRequest(emu.url, rpm, tpm);
    log(`  request: prompt ${sizing.promptTokens ?? '?'} + max_tokens ${sizing.maxTokens} = ${sizing.tokensPerRequest} tokens per call${sizing.bothBind ? ' (RPM and TPM bind together)' : ''}`);
    await prepareMargin(emu.url);
    apis.push(await startApi('margin-api-1', emu.url));
    const session = await ownerSession(apis[0].url);
    await setModelLimits(apis[0].url, session.token, { rpm, tpm, maxConcurrency: null });
    // The other instances start after the change, so they read the limits from the database.
    apis.push(...(await Promise.all([2, 3].map((i) => startApi(`margin-api-${i}`, emu.url)))));
    for (const api of apis) {
      const m = await getModel(api.url, session.token);
      if (m.rpm !== rpm || m.tpm !== tpm || m.maxConcurrency !== null) throw new Error(`${api.url} sees ${BENCH_MODEL} limits rpm ${m.rpm} tpm ${m.tpm}`);
    }
    const pids = { emulator: emu.proc.pid, ...Object.fromEntries(apis.map((a, i) => [`api${i + 1}`, a.proc.pid])) };
    const quiet = await waitForQuiet(Object.values(pids), {
      thresholdPct: 10,
      maxWaitS: num('BENCH_QUIET_WAIT_SECONDS', 15),
      onWait: (pct) => log(`  other processes use ${pct.toFixed(0)}% of the machine: waiting for them to finish…`),
    });
    await clearLimiterState();
    const before = (await emu.stats())['gpt-4o-mini'] ?? { requests: 0, completed: 0, errors: {}, promptTokens: 0, completionTokens: 0 };

    const startAt = Date.now() + 1500;
    const durationMs = seconds * 1000;
    const body = { model: BENCH_MODEL, messages: [{ role: 'user', content: PROMPT }], max_tokens: sizing.maxTokens, stream: false };
    log(`  running ${seconds} s…`);
    const runs = apis.map((api, i) => runClient(`limiter-load-${i + 1}`, { url: api.url, apiKey: session.apiKey, concurrency, startAt, durationMs, body }));
    const cpuPids = { ...pids, ...Object.fromEntries(runs.map((r, i) => [`load${i + 1}`, r.pid])) };
    const cpuBefore = cpuSnapshot(cpuPids);
    const clients = await Promise.all(runs.map((r) => r.done));
    const cpu = cpuDelta(cpuBefore, cpuSnapshot(cpuPids));
    const after = (await emu.stats())['gpt-4o-mini'];
    return buildReport({ seconds, rpm, tpm, concurrency, sizing, clients, before, after, startedAt, loadBefore, quiet, cpu });
  } finally {
    await Promise.all(apis.map((a) => a.proc.stop()));
    await emu.proc.stop();
  }
}

function buildReport({ seconds, rpm, tpm, concurrency, sizing, clients, before, after, startedAt, loadBefore, quiet, cpu }) {
  const sum = (f) => clients.reduce((n, c) => n + f(c), 0);
  const statusCounts = {};
  for (const c of clients) for (const [s, n] of Object.entries(c.statusCounts)) statusCounts[s] = (statusCounts[s] ?? 0) + n;
  const answered = Object.values(statusCounts).reduce((a, b) => a + b, 0);
  const refused = answered - (statusCounts[200] ?? 0);
  const usedRequests = sum((c) => c.usedRequests);
  const usedTokens = sum((c) => c.usedTokens);
  const allowedRequests = rpm + (rpm * seconds) / 60;
  const allowedTokens = tpm + (tpm * seconds) / 60;
  const okBySecond = clients[0].okBySecond.map((_, i) => sum((c) => c.okBySecond[i] ?? 0));
  const steadyFrom = Math.min(15, Math.floor(seconds / 2));
  const steadyCount = okBySecond.slice(steadyFrom).reduce((a, b) => a + b, 0);
  const steadyRpm = (steadyCount * 60) / (seconds - steadyFrom);
  const emulator = {
    requests: after.requests - before.requests,
    completed: after.completed - before.completed,
    status429: (after.errors['429'] ?? 0) - (before.errors?.['429'] ?? 0),
    errors: Object.fromEntries(Object.entries(after.errors).map(([s, n]) => [s, n - (before.errors?.[s] ?? 0)])),
    tokens: after.promptTokens + after.completionTokens - (before.promptTokens + before.completionTokens),
  };
  const util = { requests: usedRequests / allowedRequests, tokens: usedTokens / allowedTokens };
  const verdicts = [
    { target: '≥ 99% of the request limit used', measured: fmtPct(util.requests), pass: util.requests >= 0.99 },
    { target: '≥ 99% of the token limit used', measured: `${fmtPct(util.tokens)}${sizing.bothBind ? '' : ' (tokens could not bind with this request size)'}`, pass: util.tokens >= 0.99 },
    { target: 'no request sent over the limit (emulator 429s)', measured: String(emulator.status429), pass: emulator.status429 === 0 },
    {
      target: '≤ 1% of requests answered 429 to the clients',
      measured: `${fmtPct((statusCounts[429] ?? 0) / answered)} (${statusCounts[429] ?? 0} of ${answered})`,
      pass: (statusCounts[429] ?? 0) / answered <= 0.01,
    },
    {
      target: '≤ 1% of requests refused at all (429, or 503 once the 5 s wait for headroom runs out)',
      measured: `${fmtPct(refused / answered)} (${refused} of ${answered})`,
      pass: refused / answered <= 0.01,
    },
  ];
  const env = { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', loadAvgBefore: loadBefore.map((v) => round(v, 2)), startedAt: startedAt.toISOString() };
  const json = {
    benchmark: 'limiter',
    environment: env,
    settings: { seconds, rpm, tpm, instances: INSTANCES, callersPerInstance: concurrency, maxWaitMs: 5000, request: sizing },
    used: { requests: usedRequests, tokens: usedTokens },
    allowed: { requests: allowedRequests, tokens: allowedTokens },
    utilization: util,
    steadyState: { fromSecond: steadyFrom, requestsPerMinute: round(steadyRpm, 2) },
    clientStatusCounts: statusCounts,
    emulator,
    clients,
    okBySecond,
    cpu: { quietBefore: quiet, machineBusyPct: round(cpu.machineBusyPct, 1), foreignBusyPct: round(cpu.foreignBusyPct, 1), processCpuMs: cpu.processCpuMs, servicesCpuMs: cpu.servicesCpuMs },
    verdicts,
  };

  const by10 = [];
  for (let i = 0; i < okBySecond.length; i += 10) by10.push(okBySecond.slice(i, i + 10).reduce((a, b) => a + b, 0));
  const lines = [];
  lines.push('# Global rate limiter utilization');
  lines.push('');
  lines.push(
    `Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), load average before the run ${env.loadAvgBefore.join(' / ')}. ` +
      `${INSTANCES} Margin API processes (one Redis-held limiter), each driven through /v1/chat/completions by its own load process with ` +
      `${concurrency} callers in a closed loop (${INSTANCES * concurrency} callers in all: always more demand than the limit), model pinned to ` +
      `\`${BENCH_MODEL}\` (no fallback), for ${seconds} s. The emulator's gpt-4o-mini enforces ${rpm} RPM / ${tpm} TPM; Margin's catalog entry has the same limits. ` +
      `Each call: prompt ${sizing.promptTokens ?? '?'} + max_tokens ${sizing.maxTokens} = ${sizing.tokensPerRequest} tokens ` +
      `(the completion is cut at max_tokens)${sizing.bothBind ? ', i.e. tpm/rpm, so the request and token limits bind together' : ''}. ` +
      'Running concurrently on the same 2 cores: the emulator, PostgreSQL, Redis, the 3 API and 3 load processes ' +
      `(machine busy ${round(cpu.machineBusyPct, 1)}% on average, of which processes outside the bench ${round(cpu.foreignBusyPct, 1)}%).`,
  );
  lines.push('');
  lines.push(
    'Utilization = used ÷ allowed, where used = 200 answers completed inside the window (tokens: their usage.total_tokens) and ' +
      'allowed = initial bucket capacity + refill rate × duration (both buckets start full: ' +
      `${rpm} + ${rpm}/min × ${seconds} s = ${allowedRequests} requests; ${tpm} + ${tpm}/min × ${seconds} s = ${allowedTokens} tokens). ` +
      'That is the most any client could have had from the provider in the window.',
  );
  lines.push('');
  lines.push(
    table(
      ['', 'used', 'allowed', 'utilization'],
      [
        ['requests', String(usedRequests), String(allowedRequests), fmtPct(util.requests)],
        ['tokens', String(usedTokens), String(allowedTokens), fmtPct(util.tokens)],
      ],
    ),
  );
  lines.push('');
  lines.push(`Steady state (from second ${steadyFrom}): ${steadyRpm.toFixed(1)} requests/min against a limit of ${rpm}. 200s per 10 s: ${by10.join(', ')}.`);
  lines.push('');
  lines.push(`Client answers: ${Object.entries(statusCounts).map(([s, n]) => `${s}×${n}`).join(', ')} (${answered} in all; ${sum((c) => c.okAfterWindow)} 200s completed after the window and are not counted as used).`);
  lines.push(
    `Latency of 200s (includes the wait for headroom): p50 ${fmtMs(clients.map((c) => c.okLatencyMs.p50).sort((a, b) => a - b)[1], 0)} ms (median of the 3 processes), ` +
      `worst p99 ${fmtMs(Math.max(...clients.map((c) => c.okLatencyMs.p99 ?? 0)), 0)} ms, max ${fmtMs(Math.max(...clients.map((c) => c.okLatencyMs.max ?? 0)), 0)} ms ` +
      `(served in arrival order, every caller would wait about callers ÷ rate = ${INSTANCES * concurrency} ÷ ${(rpm / 60).toFixed(1)}/s = ${fmtMs((INSTANCES * concurrency * 60_000) / rpm, 0)} ms). ` +
      (refused ? `Refusals came after p50 ${fmtMs(clients.map((c) => c.refusedLatencyMs.p50 ?? 0).sort((a, b) => a - b)[1], 0)} ms (median of the 3 processes).` : ''),
  );
  const samples = clients.flatMap((c) => c.errorSamples).slice(0, 3);
  if (samples.length) lines.push(`Refusal samples: ${samples.map((s) => `\`${s.replace(/`/g, "'").slice(0, 200)}\``).join('; ')}.`);
  lines.push('');
  lines.push(
    `Emulator (the provider's side): ${emulator.requests} requests received, ${emulator.completed} completed, ` +
      `429s: **${emulator.status429}**${Object.keys(emulator.errors).length ? `, errors ${JSON.stringify(emulator.errors)}` : ''}.`,
  );
  lines.push('');
  lines.push('## Targets');
  lines.push('');
  lines.push(table(['target', 'measured', 'result'], verdicts.map((v) => [v.target, v.measured, v.pass ? '**PASS**' : '**FAIL**'])));
  return { name: 'limiter', json, markdown: `${lines.join('\n')}\n` };
}
