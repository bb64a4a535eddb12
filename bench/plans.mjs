#!/usr/bin/env node
// Plan estimate accuracy (`node bench/plans.mjs`): how close request plans' cost and time estimates come to what
// their jobs really cost and took, on a replayed workload, against the naive estimate (POST /jobs/estimate: half
// of max_tokens out, a fixed pace) of the same items measured in the same run.
//
// Builds the API, the worker and the emulator, starts them (API + 1 worker × WORKER_CONCURRENCY 5 + the emulator,
// every model answering after BENCH_PLANS_LATENCY_MS plus its output at BENCH_PLANS_TPS tokens/s) on a fresh
// `margin_bench_plans` database and Redis db 8, routes song analysis to openai/gpt-4o-mini (a priced model), then
// replays BENCH_PLANS_COUNT song-analysis plans of 5–40 songs each (a seeded mix): each is planned, estimated the
// naive way too, approved, and followed to its end. The first BENCH_PLANS_WARMUP plans only build history (the
// estimator learns from the ledger); the median absolute relative errors are over the rest.
// Targets: median cost error ≤ 15% and time error ≤ 25%.
// Writes bench/results/plans.json and plans.md. Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and
// Redis at 127.0.0.1:6379; override with BENCH_PLANS_DATABASE_URL / BENCH_PLANS_REDIS_URL. ~2–4 minutes.
import { randomBytes } from 'node:crypto';
import os from 'node:os';

process.env.BENCH_JOBS_DATABASE_URL = process.env.BENCH_PLANS_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_bench_plans';
process.env.BENCH_JOBS_REDIS_URL = process.env.BENCH_PLANS_REDIS_URL ?? 'redis://127.0.0.1:6379/8';
const cluster = await import('./lib/jobs-cluster.mjs');
const { log, sleep } = await import('./lib/procs.mjs');
const { runClusterBench } = await import('./lib/cluster-bench.mjs');
const { round, table } = await import('./lib/stats.mjs');

const num = (name, fallback) => {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
};
const S = {
  count: num('BENCH_PLANS_COUNT', 24),
  warmup: num('BENCH_PLANS_WARMUP', 4),
  latencyMs: num('BENCH_PLANS_LATENCY_MS', 400),
  tps: num('BENCH_PLANS_TPS', 120),
  workerConcurrency: 5,
  model: 'openai/gpt-4o-mini',
  targets: { cost: 0.15, seconds: 0.25 },
};
const NONCE = randomBytes(4).toString('hex');

/** A small seeded generator (mulberry32): the same workload every run. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(20261202);
const WORDS = 'light water morning home river mountain fire grace hope night storm road heart song field wind'.split(' ');
const lyricLine = () => Array.from({ length: 5 + Math.floor(rand() * 6) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
const song = (p, i) => ({
  title: `Plan ${p} song ${i} ${NONCE}`,
  artist: 'The Replay Band',
  lyrics: Array.from({ length: 2 + Math.floor(rand() * 10) }, lyricLine).join('\n'),
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};
const relErr = (estimate, actual) => (actual > 0 ? Math.abs(estimate - actual) / actual : null);

async function waitForPlan(client, id, timeoutMs = 300_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const plan = await client.call('GET', `/api/v1/plans/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(plan.status)) return plan;
    if (Date.now() > until) throw new Error(`plan ${id} did not finish: ${JSON.stringify(plan).slice(0, 400)}`);
    await sleep(100);
  }
}

async function run() {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  log(`plans: running the built apps from a snapshot: ${cluster.snapshotDist('plans')}`);
  const emu = await cluster.startEmulator(
    'emulator-plans',
    cluster.emulatorConfig({ latencyMs: S.latencyMs, tokensPerSecond: S.tps, parallel: 64, rpm: 0, tpm: 0, maxQueue: 4096 }),
  );
  await cluster.prepareMargin(emu.url);
  const env = { WORKER_CONCURRENCY: String(S.workerConcurrency) };
  const api = await cluster.startApi('margin-api', emu.url, { extraEnv: env });
  let worker;
  try {
    const session = await cluster.MarginClient.session(api.url);
    const owner = session.owner;
    await owner.setModelLimits({ rpm: null, tpm: null, maxConcurrency: 64 }, S.model);
    await owner.call('PUT', '/api/v1/router/policy', { scope: 'tenant', cells: [{ operation: 'analyze', complexity: 'simple', candidates: [S.model] }] });
    worker = await cluster.startWorker('worker-plans', emu.url, { concurrency: S.workerConcurrency });
    const rows = [];
    for (let p = 0; p < S.count; p++) {
      const items = Array.from({ length: 5 + Math.floor(rand() * 36) }, (_, i) => song(p, i));
      const plan = await owner.call('POST', '/api/v1/plans', { profile: 'song-analysis', items });
      const naive = await owner.call('POST', '/api/v1/jobs/estimate', { profile: 'song-analysis', items });
      if (plan.status !== 'proposed') throw new Error(`plan ${p} is ${plan.status}: ${JSON.stringify(plan.questions)}`);
      await owner.call('POST', `/api/v1/plans/${plan.id}/approve`);
      const done = await waitForPlan(owner, plan.id);
      if (done.status !== 'completed' || !done.actual) throw new Error(`plan ${p} ended ${done.status}`);
      const row = {
        plan: p,
        items: items.length,
        warmup: p < S.warmup,
        estimate: { costUsd: plan.costUsd, seconds: plan.seconds },
        naive: { costUsd: naive.costUsd, seconds: naive.seconds },
        actual: { costUsd: done.actual.costUsd, seconds: done.actual.seconds },
        costError: relErr(plan.costUsd, done.actual.costUsd),
        secondsError: relErr(plan.seconds, done.actual.seconds),
        naiveCostError: relErr(naive.costUsd, done.actual.costUsd),
        naiveSecondsError: relErr(naive.seconds, done.actual.seconds),
      };
      rows.push(row);
      log(
        `plans: #${p} ${items.length} songs: cost est $${plan.costUsd.toFixed(6)} (naive $${naive.costUsd.toFixed(6)}) actual $${done.actual.costUsd.toFixed(6)}; ` +
          `time est ${plan.seconds} s (naive ${naive.seconds} s) actual ${done.actual.seconds} s${row.warmup ? ' [warm-up]' : ''}`,
      );
    }
    const measured = rows.filter((r) => !r.warmup);
    const pick = (k) => measured.map((r) => r[k]).filter((x) => x !== null);
    const summary = {
      plans: measured.length,
      medianCostError: median(pick('costError')),
      medianSecondsError: median(pick('secondsError')),
      naiveMedianCostError: median(pick('naiveCostError')),
      naiveMedianSecondsError: median(pick('naiveSecondsError')),
      apiAccuracy: await owner.call('GET', '/api/v1/plans/accuracy'),
    };
    return { startedAt, loadBefore, rows, summary };
  } finally {
    await worker?.stop('SIGTERM', 10_000);
    await api.proc.stop('SIGTERM', 10_000);
    await emu.proc.stop();
  }
}

const pct = (x) => (x === null || x === undefined ? 'n/a' : `${round(x * 100, 1)}%`);
const ratio = (a, b) => (a === null || b === null || b === 0 ? 'n/a' : `${round(a / b, 2)}×`);

function report(r) {
  const s = r.summary;
  const pass = {
    cost: s.medianCostError !== null && s.medianCostError <= S.targets.cost,
    seconds: s.medianSecondsError !== null && s.medianSecondsError <= S.targets.seconds,
  };
  const lines = ['# Plan estimate accuracy', ''];
  lines.push(
    `${r.startedAt.toISOString()} · ${os.cpus().length} CPUs · load before ${r.loadBefore.map((x) => x.toFixed(2)).join(' ')} · API + 1 worker × WORKER_CONCURRENCY ${S.workerConcurrency}, ` +
      `song analysis on ${S.model}, every call answered after ${S.latencyMs} ms plus its output at ${S.tps} tokens/s.`,
  );
  lines.push('');
  lines.push(
    `${S.count} song-analysis plans of 5–40 songs (seeded), each planned, approved and followed to its end; the first ${S.warmup} build history and are not counted. ` +
      `Baseline, same run, same items: POST /jobs/estimate (half of max_tokens out, a fixed pace).`,
  );
  lines.push('');
  lines.push(
    table(
      [
        '',
        'plans',
        'median |cost error|',
        'target',
        'median |time error|',
        'target',
        'naive cost error',
        'naive time error',
        'cost error ÷ naive',
        'time error ÷ naive',
      ],
      [
        [
          'learned estimate',
          s.plans,
          pct(s.medianCostError),
          pass.cost ? '**PASS** (≤ 15%)' : '**FAIL** (≤ 15%)',
          pct(s.medianSecondsError),
          pass.seconds ? '**PASS** (≤ 25%)' : '**FAIL** (≤ 25%)',
          pct(s.naiveMedianCostError),
          pct(s.naiveMedianSecondsError),
          ratio(s.medianCostError, s.naiveMedianCostError),
          ratio(s.medianSecondsError, s.naiveMedianSecondsError),
        ],
      ],
    ),
  );
  lines.push('');
  lines.push(
    `The API's own KPI over every finished plan (GET /plans/accuracy): ${s.apiAccuracy.plans} plans, cost ${pct(s.apiAccuracy.medianCostError)}, time ${pct(s.apiAccuracy.medianSecondsError)}.`,
  );
  lines.push('');
  lines.push(
    table(
      ['plan', 'songs', 'cost est / naive / actual', 'time est / naive / actual'],
      r.rows.map((x) => [
        `${x.plan}${x.warmup ? ' (warm-up)' : ''}`,
        x.items,
        `$${x.estimate.costUsd.toFixed(6)} / $${x.naive.costUsd.toFixed(6)} / $${x.actual.costUsd.toFixed(6)}`,
        `${x.estimate.seconds} / ${x.naive.seconds} / ${x.actual.seconds} s`,
      ]),
    ),
  );
  return { md: `${lines.join('\n')}\n`, pass: pass.cost && pass.seconds };
}

await runClusterBench(cluster, {
  name: 'plans',
  run,
  summarize: (r) => {
    const { md, pass } = report(r);
    return { md, failed: !pass };
  },
  record: (r) => ({ settings: S, ...r }),
});
