#!/usr/bin/env node
// Job submissions under concurrency (`node bench/submit.mjs`): N integrators each POST a 30-song job at the same
// moment (N = 50, 200, 500), against the built API on its own database (no workers: acceptance only). Reports
// p50/p99 time to the answer, the statuses (every one must be 202: no 503 from a pool wait past its acquire
// timeout, no hang), and, as the same-run baseline, the same burst of the cheapest authenticated database-backed
// request (GET /api/v1/jobs?limit=1): submit p99 ÷ baseline p99 is what the submission path itself costs under
// that load. Target: all answered 202, p99 ≤ 1 s at 200. Writes bench/results/submit.{json,md}.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import { existsSync, rmSync } from 'node:fs';
import { processCpuMs, servicesCpuMs, summarizeProfile } from './lib/cpu.mjs';
import { snapshotDist } from './lib/dist.mjs';
import { startEmulator } from './lib/emulator.mjs';
import { BENCH_DIR, installCleanup, log, ROOT, sleep, stopAll } from './lib/procs.mjs';
import { benchStack } from './lib/stack.mjs';
import { fmtMs, round, summarize } from './lib/stats.mjs';

const S = {
  concurrencies: [50, 200, 500],
  itemsPerJob: 30,
  rounds: 3,
  targetP99Ms: 1000,
  targetAt: 200,
  poolSize: 20,
  acquireTimeoutMs: 5000,
};

const stack = benchStack({
  databaseUrl: process.env.BENCH_SUBMIT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_bench_submit',
  redisUrl: process.env.BENCH_SUBMIT_REDIS_URL ?? 'redis://127.0.0.1:6379/9',
  ownerEmail: 'bench-submit-owner@margin.local',
});

const song = (tag, i) => ({ title: `${tag} song ${i}`, artist: `Artist ${i % 17}`, lyrics: `Verse ${i}: the rain on the window, ${tag}\nChorus: carry on, carry on ${i}` });

async function call(dispatcher, url, method, body, headers) {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { method, dispatcher, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body, signal: AbortSignal.timeout(60_000) });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  } catch (err) {
    return { status: err.name === 'TimeoutError' ? 'timeout' : 'error', ms: performance.now() - t0 };
  }
}

/** `n` requests started at the same moment; latency of each from its start to the end of its answer. */
async function burst(n, make) {
  const dispatcher = new Agent({ connections: n, pipelining: 1 });
  try {
    const results = await Promise.all(Array.from({ length: n }, (_, i) => make(dispatcher, i)));
    const statuses = {};
    for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    return { statuses, latency: summarize(results.map((r) => r.ms)) };
  } finally {
    await dispatcher.close();
  }
}

async function main() {
  installCleanup(() => stack.dropDatabase().catch(() => undefined));
  const built = spawnSync(process.execPath, ['scripts/build.mjs', 'api', 'worker', 'llm-emulator'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('build failed');
  snapshotDist('submit');
  const emu = await startEmulator('bench-submit-emulator', { defaults: { latencyMs: 0, tokensPerSecond: 0 } });
  await stack.prepare(emu.url);
  // the CPU profiler is loaded but idle until the profiled pass at the end (SIGWINCH starts and stops it)
  const profileFile = path.join(BENCH_DIR, 'results', 'submit-api.cpuprofile');
  rmSync(profileFile, { force: true });
  const api = await stack.startApi('margin-api-submit', emu.url, {
    nodeArgs: ['--import', path.join(BENCH_DIR, 'lib', 'cpu-profile-preload.mjs')],
    extraEnv: { DB_POOL_SIZE: String(S.poolSize), DB_POOL_ACQUIRE_TIMEOUT_MS: String(S.acquireTimeoutMs), BENCH_CPU_PROFILE: profileFile },
  });
  const login = await (await fetch(`${api.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(stack.owner) })).json();
  const auth = { authorization: `Bearer ${login.accessToken}` };
  const { key } = await (await fetch(`${api.url}/api/v1/api-keys`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ name: 'bench submit' }) })).json();
  const headers = { 'x-api-key': key };
  // warm-up: connections, prepared statements, JIT
  await burst(20, (d, i) => call(d, `${api.url}/api/v1/jobs`, 'POST', JSON.stringify({ profile: 'song-analysis', items: Array.from({ length: S.itemsPerJob }, (_, k) => song(`warm${i}`, k)) }), headers));

  const results = [];
  let seq = 0;
  for (const n of S.concurrencies) {
    for (let r = 0; r < S.rounds; r++) {
      const bodies = Array.from({ length: n }, () => {
        const tag = `b${seq++}`;
        return JSON.stringify({ profile: 'song-analysis', name: `bench ${tag}`, items: Array.from({ length: S.itemsPerJob }, (_, k) => song(tag, k)) });
      });
      const submit = await burst(n, (d, i) => call(d, `${api.url}/api/v1/jobs`, 'POST', bodies[i], headers));
      await sleep(500);
      const floor = await burst(n, (d) => call(d, `${api.url}/api/v1/jobs?limit=1`, 'GET', undefined, headers));
      results.push({ concurrency: n, round: r + 1, submit, floor });
      log(`${n} at once, round ${r + 1}: submit p50 ${fmtMs(submit.latency.p50, 0)} ms p99 ${fmtMs(submit.latency.p99, 0)} ms ${JSON.stringify(submit.statuses)}; baseline p99 ${fmtMs(floor.latency.p99, 0)} ms`);
      await sleep(500);
    }
  }
  // Where the time goes: one more burst at the target's concurrency with the API under the CPU profiler
  // (its latencies are not used), and the CPU the API and the services (Postgres, Redis) spent on it.
  const profiled = await (async () => {
    const n = S.targetAt;
    const bodies = Array.from({ length: n }, () => {
      const tag = `p${seq++}`;
      return JSON.stringify({ profile: 'song-analysis', name: `bench ${tag}`, items: Array.from({ length: S.itemsPerJob }, (_, k) => song(tag, k)) });
    });
    process.kill(api.proc.pid, 'SIGWINCH');
    await sleep(200);
    const before = { api: processCpuMs(api.proc.pid), services: servicesCpuMs() };
    const t0 = performance.now();
    const r = await burst(n, (d, i) => call(d, `${api.url}/api/v1/jobs`, 'POST', bodies[i], headers));
    const wallMs = performance.now() - t0;
    const cpu = { apiMs: processCpuMs(api.proc.pid) - before.api, servicesMs: servicesCpuMs() - before.services };
    process.kill(api.proc.pid, 'SIGWINCH');
    for (let i = 0; i < 50 && !existsSync(profileFile); i++) await sleep(100);
    return { n, wallMs, statuses: r.statuses, cpu, summary: existsSync(profileFile) ? summarizeProfile(profileFile, 15) : null };
  })();
  await stopAll();
  await stack.dropDatabase().catch(() => undefined);
  await stack.flushRedis().catch(() => undefined);

  const byN = S.concurrencies.map((n) => {
    const rows = results.filter((x) => x.concurrency === n);
    // the median round by submit p99
    const median = [...rows].sort((a, b) => a.submit.latency.p99 - b.submit.latency.p99)[Math.floor(rows.length / 2)];
    const all202 = rows.every((x) => x.submit.statuses[202] === n);
    return { n, median, all202, ratio: round(median.submit.latency.p99 / median.floor.latency.p99, 2) };
  });
  const at = byN.find((x) => x.n === S.targetAt);
  const verdicts = [
    { target: 'every submission answered 202 (no 503 from a pool wait, no timeout) at 50, 200 and 500 at once', pass: byN.every((x) => x.all202) },
    { target: `p99 ≤ ${S.targetP99Ms} ms at ${S.targetAt} at once`, measured: `${fmtMs(at.median.submit.latency.p99, 0)} ms`, pass: at.median.submit.latency.p99 <= S.targetP99Ms },
  ];
  const lines = [
    '# Submissions under concurrency',
    '',
    `${new Date().toISOString()} · ${os.cpus().length} cores · load average before ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} · API pool ${S.poolSize} connections, acquire timeout ${S.acquireTimeoutMs} ms · ${S.itemsPerJob} songs per job · median of ${S.rounds} rounds`,
    '',
    '| at once | statuses (all rounds) | submit p50 | submit p99 | baseline p99 (GET /jobs?limit=1, same burst) | submit p99 ÷ baseline p99 |',
    '| --- | --- | --- | --- | --- | --- |',
    ...byN.map((x) => {
      const statuses = {};
      for (const r of results.filter((y) => y.concurrency === x.n)) for (const [k, v] of Object.entries(r.submit.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
      return `| ${x.n} | ${Object.entries(statuses).map(([k, v]) => `${k}: ${v}`).join(', ')} | ${fmtMs(x.median.submit.latency.p50, 0)} ms | ${fmtMs(x.median.submit.latency.p99, 0)} ms | ${fmtMs(x.median.floor.latency.p99, 0)} ms | ${x.ratio}× |`;
    }),
    '',
    '| target | measured | result |',
    '| --- | --- | --- |',
    ...verdicts.map((v) => `| ${v.target} | ${v.measured ?? (v.pass ? 'yes' : 'no')} | ${v.pass ? 'PASS' : 'FAIL'} |`),
    '',
    '## Where the time goes (a separate, CPU-profiled burst; its latencies are not used)',
    '',
    `${profiled.n} submissions at once: the last answered after ${fmtMs(profiled.wallMs, 0)} ms; CPU spent meanwhile: API ${fmtMs(profiled.cpu.apiMs, 0)} ms ` +
      `(${fmtMs(profiled.cpu.apiMs / profiled.n, 1)} ms a submission), Postgres + Redis ${fmtMs(profiled.cpu.servicesMs, 0)} ms (${fmtMs(profiled.cpu.servicesMs / profiled.n, 1)} ms a submission), ` +
      `on ${os.cpus().length} cores: the burst cannot end before (API + services CPU) ÷ cores = ${fmtMs((profiled.cpu.apiMs + profiled.cpu.servicesMs) / os.cpus().length, 0)} ms.`,
    '',
    ...(profiled.summary
      ? [
          `API profile \`bench/results/submit-api.cpuprofile\` (Chrome DevTools): busy ${fmtMs(profiled.summary.busyMs, 0)} ms of ${fmtMs(profiled.summary.totalMs, 0)} ms.`,
          '',
          '| library (nearest on the stack) | ms | % of busy |',
          '| --- | --- | --- |',
          ...profiled.summary.attributed.map((a) => `| ${a.name} | ${fmtMs(a.ms, 0)} | ${a.pctOfBusy.toFixed(1)} |`),
          '',
          '| function (self time) | ms | % of busy |',
          '| --- | --- | --- |',
          ...profiled.summary.frames.map((f) => `| \`${f.name.replace(/\|/g, '\\|')}\` | ${fmtMs(f.ms, 0)} | ${f.pctOfBusy.toFixed(1)} |`),
          '',
        ]
      : []),
  ];
  const dir = path.join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'submit.json'), `${JSON.stringify({ settings: S, results, verdicts, profiled }, null, 2)}\n`);
  writeFileSync(path.join(dir, 'submit.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
  process.exit(verdicts.every((v) => v.pass) ? 0 : 1);
}

main().catch(async (err) => {
  process.stderr.write(`benchmark failed: ${err.stack ?? err.message}\n`);
  await stopAll();
  process.exit(1);
});
