#!/usr/bin/env node
// The back-catalogue backfill, replayed (`node bench/backfill.mjs`): what a 1:50 slice of the 1,000-user backfill
// (70,000 distinct songs) costs and how long it takes through three strategies, measured in one run against the LLM
// emulator's limits and prices, and extrapolated (×50) to the whole backfill.
//
// Builds the API, the worker and the emulator, starts them (API + 2 workers × WORKER_CONCURRENCY 12 + the
// emulator with its built-in model speeds: gpt-4o-mini 350 ms + 90 tokens/s, qwen3:8b 300 ms + 45 tokens/s with
// 4 parallel slots, as OLLAMA_NUM_PARALLEL) on a fresh `margin_bench_backfill` database and Redis db 7, then
// gives gpt-4o-mini OpenAI's Tier-1 limits on both sides (the catalog's rpm/tpm through PUT
// /api/v1/router/models and the emulator's own buckets: BENCH_BACKFILL_RPM / BENCH_BACKFILL_TPM) and
// qwen3:8b its GPU amortization (BENCH_BACKFILL_GPU_USD_PER_HOUR over its 4 slots, booked in the ledger per
// call). Three tenants (unlimited plan), one per strategy, each with its own distinct songs (no cache hit from
// one strategy to another) and a tenant policy routing analyze/simple (song analysis's only step) to:
//   live   — openai/gpt-4o-mini, live calls through Margin's RPM/TPM limiter;
//   batch  — openai/gpt-4o-mini, the job `deferrable: true` with a deadline 48 h away: the batch tier
//            (OpenAI Batch API, half price); the emulator keeps each batch in_progress BENCH_BACKFILL_BATCH_DELAY_MS;
//   local  — ollama/qwen3:8b (local-first routing), priced at its GPU time.
// The three jobs are submitted at the same instant and run side by side (their models do not share limits: batch
// lines run outside the live buckets, as at OpenAI). Per strategy: items, $ from the ledger (GET
// /api/v1/costs/summary of its tenant, and the job's costUsd), seconds from POST to the job's end, both ÷ live, and
// × 70,000 ÷ songs for the full backfill. Writes bench/results/backfill.json and backfill.md. ~5–6 minutes (400 songs).
// Knobs: BENCH_BACKFILL_SONGS (400), BENCH_BACKFILL_RPM (500), BENCH_BACKFILL_TPM (200000),
// BENCH_BACKFILL_BATCH_DELAY_MS (60000), BENCH_BACKFILL_BATCH_POLL_MS (5000), BENCH_BACKFILL_GPU_USD_PER_HOUR (0.5).
import { randomBytes } from 'node:crypto';
import os from 'node:os';

process.env.BENCH_JOBS_DATABASE_URL = process.env.BENCH_BACKFILL_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_bench_backfill';
process.env.BENCH_JOBS_REDIS_URL = process.env.BENCH_BACKFILL_REDIS_URL ?? 'redis://127.0.0.1:6379/7';
const cluster = await import('./lib/jobs-cluster.mjs');
const { log, sleep } = await import('./lib/procs.mjs');
const { runClusterBench } = await import('./lib/cluster-bench.mjs');
const { round, table } = await import('./lib/stats.mjs');

const num = (name, fallback) => {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
};
const S = {
  songs: Math.floor(num('BENCH_BACKFILL_SONGS', 400)),
  fullBackfill: 70_000,
  rpm: Math.floor(num('BENCH_BACKFILL_RPM', 500)),
  tpm: Math.floor(num('BENCH_BACKFILL_TPM', 200_000)),
  batchDelayMs: num('BENCH_BACKFILL_BATCH_DELAY_MS', 60_000),
  batchPollMs: num('BENCH_BACKFILL_BATCH_POLL_MS', 5000),
  gpuUsdPerHour: num('BENCH_BACKFILL_GPU_USD_PER_HOUR', 0.5),
  gpuSlots: 4,
  workers: 2,
  workerConcurrency: 12,
  cloudModel: 'openai/gpt-4o-mini',
  localModel: 'ollama/qwen3:8b',
};
const SCALE = S.fullBackfill / S.songs;
const STRATEGIES = [
  { key: 'live', label: 'live gpt-4o-mini (Tier 1)', model: S.cloudModel, job: {} },
  { key: 'batch', label: 'batch tier gpt-4o-mini', model: S.cloudModel, job: { deferrable: true } },
  { key: 'local', label: 'local-first qwen3:8b', model: S.localModel, job: {} },
];
const NONCE = randomBytes(4).toString('hex');

/** A small seeded generator (mulberry32): the same lyrics every run (only the nonce in the title changes). */
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
const WORDS = 'light water morning home river mountain fire grace hope night storm road heart song field wind broken shine'.split(' ');
/** `n` distinct songs for one strategy: 8–24 lines of lyrics, a typical song's length. */
function catalogue(tag, n) {
  const rand = rng(20261202);
  const line = () => Array.from({ length: 5 + Math.floor(rand() * 5) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  return Array.from({ length: n }, (_, i) => ({
    title: `Backfill ${tag} ${i} ${NONCE}`,
    artist: `Artist ${i % 97}`,
    lyrics: Array.from({ length: 8 + Math.floor(rand() * 17) }, line).join('\n'),
  }));
}

async function signup(url, name, owner) {
  const anon = new cluster.MarginClient(url);
  const email = `${name}-${NONCE}@bench.margin.local`;
  const { accessToken } = await anon.call('POST', '/api/v1/auth/signup', { email, password: `bench-${NONCE}-pw`, tenantName: name }, { expect: [201] });
  const client = new cluster.MarginClient(url, { authorization: `Bearer ${accessToken}` });
  const me = await client.call('GET', '/api/v1/auth/me');
  await owner.call('PATCH', `/api/v1/tenants/${me.tenant.id}`, { plan: 'unlimited' });
  return client;
}

const TERMINAL = ['completed', 'completed_with_errors', 'failed', 'cancelled'];

async function follow(strategy, client, jobId, t0, timeoutMs) {
  let last = -1;
  for (;;) {
    const view = await client.call('GET', `/api/v1/jobs/${jobId}`);
    if (TERMINAL.includes(view.status)) return { view, seconds: round((performance.now() - t0) / 1000, 1) };
    if (performance.now() - t0 > timeoutMs) throw new Error(`${strategy}: not done after ${timeoutMs / 1000} s: ${JSON.stringify(view).slice(0, 400)}`);
    const done = view.completedItems + view.failedItems;
    if (done !== last && (done === 0 || done % 100 < last % 100 || done === view.totalItems)) {
      log(
        `backfill: ${strategy}: ${done}/${view.totalItems} after ${round((performance.now() - t0) / 1000, 0)} s${view.waiting ? ` (waiting: ${view.waitingReason})` : ''}`,
      );
    }
    last = done;
    await sleep(500);
  }
}

async function run() {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  log(`backfill: running the built apps from a snapshot: ${cluster.snapshotDist('backfill')}`);
  // the built-in models keep their own speeds; gpt-4o-mini gets the Tier-1 buckets, and room to queue the burst
  const emu = await cluster.startEmulator('emulator-backfill', {
    models: [
      { name: 'gpt-4o-mini', rpm: S.rpm, tpm: S.tpm, maxQueue: 4096 },
      { name: 'qwen3:8b', maxQueue: 4096 },
    ],
  });
  const knobs = await fetch(`${emu.url}/_emulator/batches`, { method: 'POST', body: JSON.stringify({ completionDelayMs: S.batchDelayMs }) });
  if (knobs.status !== 200) throw new Error(`POST /_emulator/batches → ${knobs.status}: ${await knobs.text()}`);
  await cluster.prepareMargin(emu.url);
  const batchEnv = { BATCH_FLUSH_MAX_AGE_MS: String(Math.min(10_000, S.batchPollMs * 2)), BATCH_POLL_INTERVAL_MS: String(S.batchPollMs) };
  const api = await cluster.startApi('margin-api', emu.url, { extraEnv: { BODY_LIMIT: '50mb', ALLOW_SIGNUP: 'true', ...batchEnv } });
  const workers = [];
  try {
    const session = await cluster.MarginClient.session(api.url);
    const owner = session.owner;
    const live = await owner.setModelLimits({ rpm: S.rpm, tpm: S.tpm, maxConcurrency: null }, S.cloudModel);
    const local = await owner.setModelLimits({ gpuUsdPerHour: S.gpuUsdPerHour, parallelSlots: S.gpuSlots }, S.localModel);
    log(`backfill: ${S.cloudModel}: rpm ${live.rpm}, tpm ${live.tpm}; ${S.localModel}: $${local.gpuUsdPerHour}/GPU-hour over ${local.parallelSlots} slots`);
    for (let i = 0; i < S.workers; i++) {
      workers.push(await cluster.startWorker(`worker-backfill-${i}`, emu.url, { concurrency: S.workerConcurrency, extraEnv: batchEnv }));
    }
    const tenants = {};
    for (const s of STRATEGIES) {
      tenants[s.key] = await signup(api.url, `backfill-${s.key}`, owner);
      await tenants[s.key].call('PUT', '/api/v1/router/policy', {
        scope: 'tenant',
        cells: [{ operation: 'analyze', complexity: 'simple', candidates: [s.model] }],
      });
    }
    const items = Object.fromEntries(STRATEGIES.map((s) => [s.key, catalogue(s.key, S.songs)]));
    const deadline = new Date(Date.now() + 48 * 3600_000).toISOString();

    // all three at once: each strategy's clock starts at its own POST
    const runs = await Promise.all(
      STRATEGIES.map(async (s) => {
        const t0 = performance.now();
        const body = { profile: 'song-analysis', priority: 'low', items: items[s.key], ...s.job, ...(s.key === 'batch' ? { deadline } : {}) };
        const job = await tenants[s.key].call('POST', '/api/v1/jobs', body);
        const { view, seconds } = await follow(s.key, tenants[s.key], job.id, t0, 30 * 60_000);
        log(`backfill: ${s.key}: ${view.status} in ${seconds} s, job costUsd ${view.costUsd}`);
        return { strategy: s, jobId: job.id, view, seconds };
      }),
    );

    const db = await cluster.dbClient();
    const rows = [];
    try {
      for (const r of runs) {
        const s = r.strategy;
        const summary = await tenants[s.key].call('GET', `/api/v1/costs/summary?from=${encodeURIComponent(startedAt.toISOString())}&groupBy=model`);
        const { rows: ledger } = await db.query(
          `SELECT tier, model_id AS model, count(*)::int AS calls, sum(cost_usd)::text AS cost, sum(input_tokens)::bigint AS input, sum(output_tokens)::bigint AS output,
                  round(avg(latency_ms)) AS latency
             FROM llm_calls WHERE job_id = $1 GROUP BY tier, model_id ORDER BY tier, model_id`,
          [r.jobId],
        );
        // the steady pace: items finished per second over the second half of the job (past the buckets' initial burst)
        const { rows: pace } = await db.query(
          `WITH f AS (SELECT finished_at, row_number() OVER (ORDER BY finished_at) AS n, count(*) OVER () AS total FROM job_items WHERE job_id = $1 AND finished_at IS NOT NULL)
           SELECT max(total)::int AS total, extract(epoch FROM max(finished_at) - min(finished_at) FILTER (WHERE n >= total / 2)) AS secs,
                  (max(total) - max(n) FILTER (WHERE n <= total / 2))::int AS items
             FROM f`,
          [r.jobId],
        );
        const steadyPerSecond = Number(pace[0]?.secs) > 0 ? Number(pace[0].items) / Number(pace[0].secs) : null;
        rows.push({
          key: s.key,
          label: s.label,
          model: s.model,
          jobId: r.jobId,
          status: r.view.status,
          tier: r.view.tier ?? null,
          items: r.view.totalItems,
          completedItems: r.view.completedItems,
          failedItems: r.view.failedItems,
          costUsd: summary.totalUsd,
          jobCostUsd: r.view.costUsd,
          calls: summary.calls,
          inputTokens: summary.inputTokens,
          outputTokens: summary.outputTokens,
          byModel: summary.rows,
          ledger: ledger.map((l) => ({ ...l, input: Number(l.input), output: Number(l.output), latency: Number(l.latency) })),
          seconds: r.seconds,
          steadyItemsPerMinute: steadyPerSecond === null ? null : round(steadyPerSecond * 60, 1),
        });
      }
    } finally {
      await db.end().catch(() => undefined);
    }
    const base = rows.find((x) => x.key === 'live');
    for (const x of rows) {
      x.costRatio = base.costUsd > 0 ? round(x.costUsd / base.costUsd, 3) : null;
      x.timeRatio = base.seconds > 0 ? round(x.seconds / base.seconds, 2) : null;
      // cost is linear in songs; time: the slice's own time, then the rest at the steady pace (live and local are
      // throughput-bound); the batch tier's time is not a throughput (see the report), so it is scaled linearly
      const paced = x.key !== 'batch' && x.steadyItemsPerMinute ? x.seconds + ((S.fullBackfill - S.songs) / x.steadyItemsPerMinute) * 60 : x.seconds * SCALE;
      x.full = {
        songs: S.fullBackfill,
        costUsd: round(x.costUsd * SCALE, 2),
        hours: round(paced / 3600, 2),
        linearHours: round((x.seconds * SCALE) / 3600, 2),
      };
    }
    const emuStats = await (await fetch(`${emu.url}/_emulator/stats`)).json();
    return { startedAt, loadBefore, rows, emulator: { batches: emuStats.batches ?? null } };
  } finally {
    for (const w of workers) await w.stop('SIGTERM', 10_000);
    await api.proc.stop('SIGTERM', 10_000);
    await emu.proc.stop();
  }
}

const usd = (v) => (v === null || v === undefined ? 'n/a' : v >= 100 ? `$${v.toFixed(2)}` : `$${v.toFixed(4)}`);

function report(r) {
  const lines = [`# The back-catalogue backfill: ${S.songs.toLocaleString('en')} of ${S.fullBackfill.toLocaleString('en')} songs (1:${round(SCALE, 1)})`, ''];
  lines.push(
    `${r.startedAt.toISOString()} · ${os.cpus().length} CPUs · load before ${r.loadBefore.map((x) => x.toFixed(2)).join(' ')} · API + ${S.workers} workers × WORKER_CONCURRENCY ${S.workerConcurrency}. ` +
      `${S.songs.toLocaleString('en')} distinct songs per strategy (of the ${S.fullBackfill.toLocaleString('en')} of the 1,000-user backfill), the three jobs submitted at once, ` +
      `each by its own tenant with its own songs.`,
  );
  lines.push('');
  lines.push(
    `Limits and prices: ${S.cloudModel} at OpenAI Tier 1 (${S.rpm} RPM / ${S.tpm.toLocaleString('en')} TPM, in Margin's catalog and in the emulator), ` +
      `$0.15 / $0.60 per million tokens live, half that in the batch tier; batches stay in_progress ${S.batchDelayMs / 1000} s at the emulator, Margin polls every ${S.batchPollMs / 1000} s; ` +
      `${S.localModel} on one GPU (4 parallel slots) amortized at $${S.gpuUsdPerHour}/GPU-hour. Costs are the ledger's (GET /api/v1/costs/summary of each tenant).`,
  );
  lines.push('');
  lines.push(
    table(
      [
        'strategy',
        'items (done / failed)',
        'ledger calls',
        'cost',
        '÷ live cost',
        'completion',
        '÷ live time',
        'steady pace',
        `70,000 songs: cost`,
        `70,000 songs: time`,
      ],
      r.rows.map((x) => [
        `${x.label}${x.tier ? ` (tier ${x.tier})` : ''}`,
        `${x.items} (${x.completedItems} / ${x.failedItems})`,
        x.calls,
        usd(x.costUsd),
        x.costRatio === null ? 'n/a' : `${x.costRatio}×`,
        `${x.seconds} s`,
        x.timeRatio === null ? 'n/a' : `${x.timeRatio}×`,
        x.steadyItemsPerMinute === null ? 'n/a' : `${x.steadyItemsPerMinute} songs/min`,
        usd(x.full.costUsd),
        x.key === 'batch' ? `${x.full.hours} h (linear, see below)` : `${x.full.hours} h (linear ${x.full.linearHours} h)`,
      ]),
    ),
  );
  lines.push('');
  lines.push('Ledger rows per job (tier, model: calls, tokens in/out, mean latency, cost):');
  lines.push('');
  for (const x of r.rows) {
    for (const l of x.ledger) lines.push(`- ${x.key}: ${l.tier} ${l.model}: ${l.calls} calls, ${l.input} / ${l.output} tokens, ${l.latency} ms, $${l.cost}`);
  }
  lines.push('');
  lines.push(
    `Full-backfill cost is ×${round(SCALE, 1)} (${S.fullBackfill.toLocaleString('en')} ÷ ${S.songs.toLocaleString('en')}). Full-backfill time for live and local is the slice's time plus the remaining songs at the ` +
      `steady pace (songs finished per minute over the job's second half, past the buckets' initial burst: both are throughput-bound, by the RPM/TPM buckets and the GPU's slots); ` +
      `"linear" is the slice's time × ${round(SCALE, 1)}. ` +
      `The batch tier's time is the emulated batch delay plus Margin's flush and poll, not a throughput: at OpenAI a batch completes within its 24 h window, ` +
      `and the full backfill's ${S.fullBackfill.toLocaleString('en')} requests are also bounded by Tier 1's 2,000,000 enqueued batch tokens for gpt-4o-mini ` +
      `(requests beyond it run live), so its ×${round(SCALE, 1)} time is an illustration, not a prediction.`,
  );
  return `${lines.join('\n')}\n`;
}

await runClusterBench(cluster, {
  name: 'backfill',
  run,
  summarize: (r) => ({ md: report(r), failed: r.rows.some((x) => x.status !== 'completed') }),
  record: (r) => ({ settings: S, scale: SCALE, ...r }),
});
