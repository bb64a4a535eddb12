// Benchmark 1 — gateway added latency: POST /v1/chat/completions (non-streaming, small prompt, max_tokens 16)
// at constant arrival rates, against the LLM emulator answering instantly. Four targets, one after another
// (never two at once), driven by the same open-loop load generator process:
//   direct  — the emulator itself (the baseline: client → upstream with no gateway)
//   floor   — a pass-through Node proxy with no logic (bench/lib/bare-proxy.mjs): the least any Node gateway
//             can add on this machine (one more HTTP server and client hop)
//   portkey — the Portkey AI gateway in front of the emulator (bound to 127.0.0.1)
//   margin  — Margin's API (/v1 gateway: API key auth, routing, global rate limiter, budget, ledger)
// "Added latency" = target pX − direct pX, both measured in this run.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuDelta, cpuSnapshot, summarizeProfile, waitForQuiet } from './lib/cpu.mjs';
import { startEmulator } from './lib/emulator.mjs';
import { BENCH_MODEL, ownerSession, prepareMargin, setModelLimits, startApi } from './lib/margin.mjs';
import { startPortkey } from './lib/portkey.mjs';
import { log, ROOT, sleep, spawnNode } from './lib/procs.mjs';
import { fmtMs, fmtRatio, round, table } from './lib/stats.mjs';

const num = (name, fallback) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

const MESSAGES = [{ role: 'user', content: 'Say hello to the benchmark in one short sentence.' }];
const TARGETS = ['direct', 'floor', 'portkey', 'margin'];
const LABELS = { direct: 'direct (emulator)', floor: 'pass-through floor (bare Node proxy)', portkey: 'Portkey', margin: 'Margin' };
/** Before each target: wait (at most this long) until other work on the machine uses less than this share. */
const QUIET_THRESHOLD_PCT = 10;
const QUIET_MAX_WAIT_S = num('BENCH_QUIET_WAIT_SECONDS', 15);
/** A measured window during which other processes used more than this share of the machine is flagged. */
const FOREIGN_WARN_PCT = 10;
/** Extra passes per target when other processes disturbed a measurement. */
/** …but only while the gateway benchmark has run for less than this (keeps `npm run bench` near 6 minutes). */
const RETRY_BUDGET_S = 120;
const RETRIES = Number.isInteger(Number(process.env.BENCH_RETRIES)) && Number(process.env.BENCH_RETRIES) >= 0 ? Number(process.env.BENCH_RETRIES) : 1;

/** Runs the open-loop load generator (a child process) through `phases`; `hooks` fire around each phase. */
function runOpenLoop(target, phases, hooks = {}) {
  const proc = spawnNode('load-generator', ['bench/lib/open-loop.mjs'], { ipc: true });
  const done = new Promise((resolve, reject) => {
    proc.child.on('message', (msg) => {
      if (msg.event === 'phase-start') hooks.onPhaseStart?.(msg.name, proc.pid);
      else if (msg.event === 'phase-end') hooks.onPhaseEnd?.(msg.name, proc.pid);
      else if (msg.phases) resolve(msg.phases);
    });
    proc.exited.then(({ code, signal }) => reject(new Error(`load generator exited (${code ?? signal}) without results\n${proc.output()}`)));
    proc.child.send({ target, phases });
  });
  return done.finally(() => proc.stop());
}

/** One request through the target before loading it: it must answer a proper chat completion. */
async function sanityCheck(name, target) {
  const res = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: JSON.stringify(target.body) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  if (res.status !== 200 || typeof json?.choices?.[0]?.message?.content !== 'string' || !json.usage) {
    throw new Error(`${name}: sanity request failed (${res.status}): ${text.slice(0, 500)}`);
  }
  return { status: res.status, usage: json.usage, model: json.model };
}

function phasesFor(rates, warmupS, seconds) {
  return rates.flatMap((rate) => [
    { name: `warmup@${rate}`, rate, seconds: warmupS, pauseAfterMs: 500 },
    { name: `measure@${rate}`, rate, seconds, pauseAfterMs: 1500 },
  ]);
}

/** One pass of the load generator over every rate, with CPU sampled around each measured window. */
async function loadOnce(target, pids, rates, warmupS, seconds) {
  const cpu = {};
  let before;
  const phases = await runOpenLoop(target, phasesFor(rates, warmupS, seconds), {
    onPhaseStart: (phase, loadPid) => {
      before = cpuSnapshot({ ...pids, loadGenerator: loadPid });
    },
    onPhaseEnd: (phase, loadPid) => {
      cpu[phase] = cpuDelta(before, cpuSnapshot({ ...pids, loadGenerator: loadPid }));
    },
  });
  const byRate = {};
  for (const p of phases.filter((x) => x.name.startsWith('measure@'))) {
    const c = cpu[p.name];
    byRate[p.rate] = {
      ...p,
      cpu: c
        ? {
            machineBusyPct: round(c.machineBusyPct, 1),
            foreignBusyPct: round(c.foreignBusyPct, 1),
            servicesCpuMs: c.servicesCpuMs,
            processCpuMs: c.processCpuMs,
            targetCpuMsPerRequest: c.processCpuMs.target != null && p.sent ? round(c.processCpuMs.target / p.sent, 4) : null,
            emulatorCpuMsPerRequest: c.processCpuMs.emulator != null && p.sent ? round(c.processCpuMs.emulator / p.sent, 4) : null,
            servicesCpuMsPerRequest: p.sent ? round(c.servicesCpuMs / p.sent, 4) : null,
          }
        : null,
    };
  }
  return byRate;
}

/**
 * Loads one target after waiting for the rest of the machine to be quiet. When other processes still took
 * more than FOREIGN_WARN_PCT of the machine during a measured window, the pass is repeated (at most
 * BENCH_RETRIES times per target) and the quietest pass is kept; the summary flags it if none was quiet.
 */
async function measure(name, target, pids, rates, warmupS, seconds, benchStartedAt) {
  const sanity = await sanityCheck(name, target);
  const passes = [];
  for (let attempt = 0; attempt <= RETRIES; attempt++) {
    const quiet = await waitForQuiet(Object.values(pids), {
      thresholdPct: QUIET_THRESHOLD_PCT,
      maxWaitS: QUIET_MAX_WAIT_S,
      onWait: (pct) => log(`  other processes use ${pct.toFixed(0)}% of the machine: waiting up to ${QUIET_MAX_WAIT_S} s for them to finish…`),
    });
    const byRate = await loadOnce(target, pids, rates, warmupS, seconds);
    const foreign = Math.max(...rates.map((r) => byRate[r].cpu?.foreignBusyPct ?? 0));
    passes.push({ quietBefore: { foreignBusyPct: round(quiet.foreignBusyPct, 1), waitedS: round(quiet.waitedS, 1) }, foreign, byRate });
    log(
      `  ${name}: ${rates
        .map((r) => `${r} rps p50 ${fmtMs(byRate[r].latencyMs.p50)} ms p99 ${fmtMs(byRate[r].latencyMs.p99)} ms (${byRate[r].errors} errors)`)
        .join('; ')}; other processes up to ${foreign.toFixed(0)}%`,
    );
    if (foreign <= FOREIGN_WARN_PCT) break;
    if (Date.now() - benchStartedAt > RETRY_BUDGET_S * 1000) {
      log(`  ${name}: other processes took ${foreign.toFixed(0)}% of the machine during the measurement (no time left to measure again)`);
      break;
    }
    if (attempt < RETRIES) log(`  ${name}: other processes took ${foreign.toFixed(0)}% of the machine during the measurement: measuring again…`);
  }
  const best = passes.reduce((a, b) => (b.foreign < a.foreign ? b : a));
  return { sanity, passes: passes.length, quietBefore: best.quietBefore, byRate: best.byRate };
}

export async function gatewayBenchmark({ resultsDir }) {
  const rates = (process.env.BENCH_RATES ?? '100,500').split(',').map(Number).filter((r) => r > 0);
  const seconds = num('BENCH_GATEWAY_SECONDS', 10);
  const warmupS = num('BENCH_WARMUP_SECONDS', 5);
  const profile = process.env.BENCH_CPU_PROF === '1';
  const startedAt = new Date();
  const loadBefore = os.loadavg();

  log(`gateway: emulator (timeScale 0, ${rates.join(' and ')} requests/s, ${warmupS} s warm-up + ${seconds} s per point)`);
  const emu = await startEmulator('emulator-gateway', { timeScale: 0, models: [{ name: 'gpt-4o-mini', rpm: 0, tpm: 0 }] });
  await prepareMargin(emu.url);

  const results = {};
  const body = { model: 'gpt-4o-mini', messages: MESSAGES, max_tokens: 16, stream: false };
  let portkeyAddresses = [];

  for (const name of TARGETS) {
    log(`gateway: ${LABELS[name]}…`);
    if (name === 'direct') {
      const target = { url: `${emu.url}/v1/chat/completions`, headers: { authorization: 'Bearer x' }, body };
      results.direct = await measure(name, target, { emulator: emu.proc.pid }, rates, warmupS, seconds, startedAt.getTime());
    } else if (name === 'floor') {
      const proxy = spawnNode('bare-proxy', ['bench/lib/bare-proxy.mjs', `${emu.url}/v1`]);
      try {
        const { url } = JSON.parse(await proxy.waitForLine(/"url"/, 20_000));
        const target = { url: `${url}/chat/completions`, headers: { authorization: 'Bearer x' }, body };
        results.floor = await measure(name, target, { target: proxy.pid, emulator: emu.proc.pid }, rates, warmupS, seconds, startedAt.getTime());
      } finally {
        await proxy.stop();
      }
    } else if (name === 'portkey') {
      const pk = await startPortkey();
      portkeyAddresses = pk.addresses;
      log(`  Portkey pid ${pk.proc.pid} listens on ${pk.addresses.join(', ')} (ss -ltnp)`);
      try {
        const target = {
          url: `${pk.url}/v1/chat/completions`,
          headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${emu.url}/v1`, authorization: 'Bearer x' },
          body,
        };
        results.portkey = await measure(name, target, { target: pk.proc.pid, emulator: emu.proc.pid }, rates, warmupS, seconds, startedAt.getTime());
      } finally {
        await pk.proc.stop();
      }
    } else {
      const api = await startApi('margin-api', emu.url);
      try {
        const session = await ownerSession(api.url);
        await setModelLimits(api.url, session.token, { rpm: null, tpm: null, maxConcurrency: null });
        const target = { url: `${api.url}/v1/chat/completions`, headers: { authorization: `Bearer ${session.apiKey}` }, body: { ...body, model: BENCH_MODEL } };
        results.margin = await measure(name, target, { target: api.proc.pid, emulator: emu.proc.pid }, rates, warmupS, seconds, startedAt.getTime());
      } finally {
        await api.proc.stop();
      }
    }
    await sleep(1500);
  }

  let cpuProfile = null;
  if (profile) cpuProfile = await profileMargin(emu.url, resultsDir, body, rates, warmupS, seconds);
  await emu.proc.stop();

  const report = buildReport({ rates, seconds, warmupS, results, startedAt, loadBefore, portkeyAddresses, cpuProfile });
  return report;
}

/** A separate, profiled Margin pass (its figures are not used: the profiler slows the process down). */
async function profileMargin(emuUrl, resultsDir, body, rates, warmupS, seconds) {
  const file = path.join(resultsDir, 'margin-api.cpuprofile');
  rmSync(file, { force: true });
  mkdirSync(resultsDir, { recursive: true });
  const rate = Math.max(...rates);
  log(`gateway: profiling Margin's API at ${rate} requests/s (separate pass, figures not used)…`);
  const api = await startApi('margin-api-profiled', emuUrl, { nodeArgs: ['--import', './bench/lib/cpu-profile-preload.mjs'], extraEnv: { BENCH_CPU_PROFILE: file } });
  try {
    const session = await ownerSession(api.url);
    await setModelLimits(api.url, session.token, { rpm: null, tpm: null, maxConcurrency: null });
    const target = { url: `${api.url}/v1/chat/completions`, headers: { authorization: `Bearer ${session.apiKey}` }, body: { ...body, model: BENCH_MODEL } };
    await sanityCheck('margin (profiled)', target);
    const signal = (phase) => {
      if (phase.startsWith('measure@')) process.kill(api.proc.pid, 'SIGWINCH');
    };
    await runOpenLoop(target, phasesFor([rate], warmupS, seconds), { onPhaseStart: signal, onPhaseEnd: signal });
    for (let i = 0; i < 50 && !existsSync(file); i++) await sleep(100);
  } finally {
    await api.proc.stop();
  }
  if (!existsSync(file)) return { error: 'no profile written' };
  return { file: path.relative(ROOT, file), rate, ...summarizeProfile(file, 25) };
}

function buildReport({ rates, seconds, warmupS, results, startedAt, loadBefore, portkeyAddresses, cpuProfile }) {
  const derived = {};
  const verdicts = [];
  for (const rate of rates) {
    const d = results.direct.byRate[rate].latencyMs;
    const row = {};
    for (const name of ['floor', 'portkey', 'margin']) {
      const t = results[name].byRate[rate].latencyMs;
      row[name] = {
        addedP50: round(t.p50 - d.p50, 4),
        addedP90: round(t.p90 - d.p90, 4),
        addedP99: round(t.p99 - d.p99, 4),
        p50RatioVsDirect: round(t.p50 / d.p50, 3),
        p99RatioVsDirect: round(t.p99 / d.p99, 3),
      };
    }
    row.marginAddedP50OverPortkeyAddedP50 = row.portkey.addedP50 > 0 ? round(row.margin.addedP50 / row.portkey.addedP50, 3) : null;
    /** What Margin's own work (auth, routing, limiter, budget, ledger) adds on top of the bare hop. */
    row.marginAddedP50OverFloor = round(row.margin.addedP50 - row.floor.addedP50, 4);
    derived[rate] = row;
    const marginErrors = results.margin.byRate[rate].errors;
    verdicts.push({
      target: `Margin added p50 ≤ 0.5 ms at ${rate} req/s`,
      measured: `${fmtMs(row.margin.addedP50)} ms`,
      pass: row.margin.addedP50 <= 0.5 && marginErrors === 0,
    });
    verdicts.push({
      target: `(context) a zero-logic Node proxy's added p50 at ${rate} req/s — the floor under the 0.5 ms target`,
      measured: `${fmtMs(row.floor.addedP50)} ms; Margin's own work on top of it: ${fmtMs(row.marginAddedP50OverFloor)} ms`,
      pass: null,
    });
    verdicts.push({
      target: `Margin added p50 below Portkey's at ${rate} req/s`,
      measured: `${fmtMs(row.margin.addedP50)} ms vs ${fmtMs(row.portkey.addedP50)} ms (${fmtRatio(row.marginAddedP50OverPortkeyAddedP50)})`,
      pass: row.margin.addedP50 < row.portkey.addedP50 && marginErrors === 0,
    });
  }

  const env = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAvgBefore: loadBefore.map((v) => round(v, 2)),
    startedAt: startedAt.toISOString(),
  };
  const json = { benchmark: 'gateway', environment: env, settings: { rates, seconds, warmupSeconds: warmupS, maxTokens: 16, stream: false }, portkeyListens: portkeyAddresses, results, derived, verdicts, cpuProfile };

  const lines = [];
  lines.push('# Gateway added latency — `/v1/chat/completions`');
  lines.push('');
  lines.push(
    `Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), load average before the run ${env.loadAvgBefore.join(' / ')}. ` +
      `Open-loop constant arrival rate, ${warmupS} s warm-up then ${seconds} s measured per rate, non-streaming, small prompt, max_tokens 16, ` +
      'LLM emulator answering instantly (timeScale 0). Targets ran one after another, each started fresh and stopped after its turn; ' +
      'the same load-generator process design (node:http, keep-alive agent) drove every target. ' +
      'Running concurrently on the same 2 cores: the emulator (all targets), the load generator (its own process), and for Margin ' +
      'its PostgreSQL and Redis (ledger rows, rate limiter, API-key checks); whatever else ran on the machine is measured ' +
      'and shown in brackets in the last column. ' +
      `Portkey listened on ${portkeyAddresses.join(', ')} only (checked with ss -ltnp). ` +
      `Measurement passes per target (repeated when other processes disturbed one; the quietest is kept): ${TARGETS.map((n) => `${LABELS[n]} ${results[n].passes}`).join(', ')}.`,
  );
  lines.push('');
  for (const rate of rates) {
    lines.push(`## ${rate} requests/s`);
    lines.push('');
    const d = results.direct.byRate[rate].latencyMs;
    lines.push(
      table(
        ['target', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'achieved req/s', 'errors', 'added p50 ms', 'added p99 ms', 'p50 / direct p50', 'gateway CPU ms/req', 'machine busy (other processes)'],
        TARGETS.map((name) => {
          const r = results[name].byRate[rate];
          const l = r.latencyMs;
          const errs = r.errors ? `${r.errors} (${Object.entries(r.statusCounts).filter(([s]) => s !== '200').map(([s, n]) => `${s}×${n}`).join(', ')})` : '0';
          return [
            LABELS[name],
            fmtMs(l.p50),
            fmtMs(l.p90),
            fmtMs(l.p99),
            fmtMs(l.max, 1),
            r.achievedRps?.toFixed(1) ?? '–',
            errs,
            name === 'direct' ? '–' : fmtMs(l.p50 - d.p50),
            name === 'direct' ? '–' : fmtMs(l.p99 - d.p99),
            name === 'direct' ? '1.00×' : fmtRatio(l.p50 / d.p50),
            r.cpu?.targetCpuMsPerRequest != null ? fmtMs(r.cpu.targetCpuMsPerRequest) : '–',
            r.cpu?.machineBusyPct != null ? `${r.cpu.machineBusyPct}% (${r.cpu.foreignBusyPct}%)` : '–',
          ];
        }),
      ),
    );
    lines.push('');
    lines.push(
      `Margin added p50 / Portkey added p50 = **${fmtRatio(derived[rate].marginAddedP50OverPortkeyAddedP50)}**. ` +
        `Load-generator schedule lag p99: ${TARGETS.map((n) => `${n} ${fmtMs(results[n].byRate[rate].lagMs.p99)} ms`).join(', ')}. ` +
        `CPU per request besides the gateway process: emulator ${TARGETS.map((n) => `${n} ${fmtMs(results[n].byRate[rate].cpu?.emulatorCpuMsPerRequest)}`).join(', ')} ms; ` +
        `PostgreSQL + Redis ${TARGETS.map((n) => `${n} ${fmtMs(results[n].byRate[rate].cpu?.servicesCpuMsPerRequest)}`).join(', ')} ms.`,
    );
    const noisy = TARGETS.filter((n) => (results[n].byRate[rate].cpu?.foreignBusyPct ?? 0) > FOREIGN_WARN_PCT);
    if (noisy.length) {
      lines.push('');
      lines.push(
        `⚠ Other processes on the machine used more than ${FOREIGN_WARN_PCT}% of it while ${noisy.map((n) => LABELS[n]).join(', ')} ` +
          'was measured: those figures are skewed by foreign load; rerun on a quiet machine before drawing conclusions.',
      );
    }
    lines.push('');
  }
  lines.push('## Targets');
  lines.push('');
  lines.push(table(['target', 'measured', 'result'], verdicts.map((v) => [v.target, v.measured, v.pass === null ? 'context' : v.pass ? '**PASS**' : '**FAIL**'])));
  lines.push('');
  lines.push(
    'Definitions: latency is client-side, from `http.request()` to the last byte of the answer (process.hrtime.bigint()); ' +
      'added pX = target pX − direct pX (percentiles of two runs of the same client, so this is an estimate, not a per-request difference); ' +
      'gateway CPU ms/req = CPU time (user+sys, /proc) of the gateway process during the measured window ÷ requests sent; ' +
      'machine busy = all cores, and in brackets the share used by processes outside the bench (not its children, Redis, PostgreSQL serving margin_bench, or interrupt handling). ' +
      `Before each target the bench waits up to ${QUIET_MAX_WAIT_S} s for that share to fall below ${QUIET_THRESHOLD_PCT}%.`,
  );
  if (cpuProfile && !cpuProfile.error) {
    lines.push('');
    lines.push(`## Where Margin's time goes (CPU profile, separate pass at ${cpuProfile.rate} req/s, ${cpuProfile.file})`);
    lines.push('');
    lines.push(`Sampled ${cpuProfile.totalMs.toFixed(0)} ms, busy ${cpuProfile.busyMs.toFixed(0)} ms.`);
    lines.push('');
    lines.push(
      'Self time is where the CPU was when sampled; "attributed" charges native and Node-core work (socket writes, promise hooks) ' +
        'to the nearest library frame that caused it; "on stack" counts samples with that library anywhere on the synchronous stack.',
    );
    lines.push('');
    const pct = (list, name) => list.find((x) => x.name === name);
    const libs = cpuProfile.attributed.slice(0, 15).map((p) => p.name);
    lines.push(
      table(
        ['library', 'self ms', 'attributed ms', 'attributed % of busy', 'on stack % of busy'],
        libs.map((name) => [
          name,
          pct(cpuProfile.packages, name)?.ms.toFixed(0) ?? '–',
          pct(cpuProfile.attributed, name).ms.toFixed(0),
          pct(cpuProfile.attributed, name).pctOfBusy.toFixed(1),
          pct(cpuProfile.inclusive, name)?.pctOfBusy.toFixed(1) ?? '–',
        ]),
      ),
    );
    lines.push('');
    lines.push(table(['top self-time frames', 'ms', '% of busy'], cpuProfile.frames.slice(0, 25).map((p) => [`\`${p.name}\``, p.ms.toFixed(0), p.pctOfBusy.toFixed(1)])));
  }
  return { name: 'gateway', json, markdown: `${lines.join('\n')}\n` };
}
