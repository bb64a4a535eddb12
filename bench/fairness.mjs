#!/usr/bin/env node
// Fair shares between tenants (`node bench/fairness.mjs`): how long a new tenant waits for its first result
// behind another tenant's backlog, as a ratio of one item's time measured in the same run.
//
// Builds the API, the worker and the emulator, starts them (API + 2 workers × WORKER_CONCURRENCY 5 + the
// emulator, every model answering in BENCH_FAIRNESS_ITEM_MS) on a fresh `margin_bench_fairness` database and
// Redis db 9, then:
//   1. one item's time: the median of 3 one-song jobs of a tenant alone on the cluster, POST → first result;
//   2. for each backlog size (1,000 / 10,000 / 100,000): tenant A (the operator's, unlimited plan) submits that
//      many distinct songs at `medium`; once every model slot is busy with them, a new tenant B (free plan, the
//      smallest weight) submits a 10-song playlist at `medium`; measured: POST → B's first result (polled every
//      10 ms). Ratio = that ÷ one item's time. Target ≤ 2 at every size. Then A's job is cancelled and the
//      queue emptied before the next size.
// Writes bench/results/fairness.json and fairness.md. Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust)
// and Redis at 127.0.0.1:6379; override with BENCH_FAIRNESS_DATABASE_URL / BENCH_FAIRNESS_REDIS_URL. ~2–4 minutes.
// Knobs: BENCH_FAIRNESS_SIZES (1000,10000,100000), BENCH_FAIRNESS_ITEM_MS (250), BENCH_FAIRNESS_PLAYLIST (10).
import { randomBytes } from 'node:crypto';
import os from 'node:os';

process.env.BENCH_JOBS_DATABASE_URL = process.env.BENCH_FAIRNESS_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_bench_fairness';
process.env.BENCH_JOBS_REDIS_URL = process.env.BENCH_FAIRNESS_REDIS_URL ?? 'redis://127.0.0.1:6379/9';
const cluster = await import('./lib/jobs-cluster.mjs');
const { cpuReading, cpuSplit } = await import('./lib/jobs-sys.mjs');
const { log, sleep } = await import('./lib/procs.mjs');
const { runClusterBench } = await import('./lib/cluster-bench.mjs');
const { round, table } = await import('./lib/stats.mjs');

const num = (name, fallback) => {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
};
const S = {
  sizes: process.env.BENCH_FAIRNESS_SIZES ? process.env.BENCH_FAIRNESS_SIZES.split(',').map(Number).filter((n) => n > 0) : [1000, 10_000, 100_000],
  itemMs: num('BENCH_FAIRNESS_ITEM_MS', 250),
  playlist: num('BENCH_FAIRNESS_PLAYLIST', 10),
  workers: 2,
  workerConcurrency: 5,
  singles: 3,
  target: 2,
};
const NONCE = randomBytes(4).toString('hex');
const song = (tag, i) => ({ title: `${tag}-${NONCE} song ${i}`, artist: `The ${tag} Band`, lyrics: `Verse ${i}: ${tag} lights on the water (${NONCE})\nChorus: we carry the morning home ${i}` });
const songs = (tag, n) => Array.from({ length: n }, (_, i) => song(tag, i));

async function signup(url, name, plan, owner) {
  const anon = new cluster.MarginClient(url);
  const email = `${name}-${NONCE}@bench.margin.local`;
  const { accessToken } = await anon.call('POST', '/api/v1/auth/signup', { email, password: `bench-${NONCE}-pw`, tenantName: name }, { expect: [201] });
  const client = new cluster.MarginClient(url, { authorization: `Bearer ${accessToken}` });
  if (plan !== 'free') {
    const me = await client.call('GET', '/api/v1/auth/me');
    await owner.call('PATCH', `/api/v1/tenants/${me.tenant.id}`, { plan });
  }
  return client;
}

/** POST → the job's first completed item, in ms (polled every 10 ms). */
async function firstResult(client, items, what) {
  const t0 = performance.now();
  const job = await client.call('POST', '/api/v1/jobs', { profile: 'song-analysis', priority: 'medium', items });
  for (;;) {
    const view = await client.call('GET', `/api/v1/jobs/${job.id}`);
    if (view.completedItems > 0) return { jobId: job.id, ms: round(performance.now() - t0, 1) };
    if (view.failedItems > 0 || performance.now() - t0 > 120_000) throw new Error(`${what}: no result: ${JSON.stringify(view)}`);
    await sleep(10);
  }
}

async function waitFor(client, jobId, cond, what, timeoutMs = 300_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const view = await client.call('GET', `/api/v1/jobs/${jobId}`);
    if (cond(view)) return view;
    if (Date.now() > until) throw new Error(`${what}: timed out: ${JSON.stringify(view)}`);
    await sleep(50);
  }
}

async function run() {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  log(`fairness: running the built apps from a snapshot: ${cluster.snapshotDist('fairness')}`);
  const emu = await cluster.startEmulator(
    'emulator-fairness',
    cluster.emulatorConfig({ latencyMs: S.itemMs, tokensPerSecond: 0, parallel: 64, rpm: 0, tpm: 0, maxQueue: 4096 }),
  );
  await cluster.prepareMargin(emu.url);
  const db = await cluster.dbClient();
  const api = await cluster.startApi('margin-api', emu.url, { extraEnv: { BODY_LIMIT: '200mb', ALLOW_SIGNUP: 'true' } });
  const workers = [];
  try {
    const session = await cluster.MarginClient.session(api.url);
    await session.owner.setModelLimits({ maxConcurrency: 64 });
    for (let i = 0; i < S.workers; i++) workers.push(await cluster.startWorker(`worker-fairness-${i}`, emu.url, { concurrency: S.workerConcurrency }));
    const slots = S.workers * S.workerConcurrency;
    const pids = { orchestrator: process.pid, api: api.proc.pid, emulator: emu.proc.pid, ...Object.fromEntries(workers.map((w, i) => [`worker${i}`, w.pid])) };

    // warm-up, then one item's time alone
    const warm = await session.owner.call('POST', '/api/v1/jobs', { profile: 'song-analysis', priority: 'medium', items: songs('warm', 2 * slots) });
    await waitFor(session.owner, warm.id, (v) => v.status === 'completed', 'warm-up');
    const solo = await signup(api.url, 'solo', 'pro', session.owner);
    const singles = [];
    for (let i = 0; i < S.singles; i++) singles.push((await firstResult(solo, [song('alone', i)], 'one item alone')).ms);
    const oneItemMs = [...singles].sort((a, b) => a - b)[Math.floor(S.singles / 2)];
    log(`fairness: one item alone ${oneItemMs} ms (runs: ${singles.join(', ')} ms)`);

    const rows = [];
    for (const size of S.sizes) {
      const t0 = performance.now();
      const backlog = await session.owner.call('POST', '/api/v1/jobs', { profile: 'song-analysis', priority: 'medium', items: songs(`backlog-${size}`, size) });
      const acceptMs = round(performance.now() - t0, 0);
      await waitFor(session.owner, backlog.id, (v) => v.completedItems >= 2 * slots, `backlog of ${size}`);
      const before = await cluster.analysisQueueCounts();
      const b = await signup(api.url, `tenant-b-${size}`, 'free', session.owner);
      const cpuBefore = cpuReading(pids, cluster.databaseName());
      const first = await firstResult(b, songs(`playlist-${size}`, S.playlist), `tenant B behind ${size}`);
      const cpu = cpuSplit(cpuBefore, cpuReading(pids, cluster.databaseName()));
      const aAt = await session.owner.call('GET', `/api/v1/jobs/${backlog.id}`);
      const bDone = await waitFor(b, first.jobId, (v) => v.status === 'completed', `tenant B's playlist behind ${size}`);
      const aAfter = await session.owner.call('GET', `/api/v1/jobs/${backlog.id}`);
      const ratio = round(first.ms / oneItemMs, 2);
      // where B's wait went (database clock, ms after B's job was created): first claim, first model call, first finish
      const { rows: tl } = await db.query(
        `SELECT round(extract(epoch FROM min(i.started_at) - j.created_at) * 1000) AS claimed,
                round(extract(epoch FROM (SELECT min(l.created_at) FROM llm_calls l WHERE l.job_id = j.id) - j.created_at) * 1000) AS called,
                round(extract(epoch FROM min(i.finished_at) - j.created_at) * 1000) AS finished
           FROM jobs j JOIN job_items i ON i.job_id = j.id WHERE j.id = $1 GROUP BY j.id, j.created_at`,
        [first.jobId],
      );
      rows.push({
        size,
        acceptMs,
        firstResultMs: first.ms,
        ratio,
        pass: ratio <= S.target,
        backlogCompletedAtFirstResult: aAt.completedItems,
        backlogCompletedWhenPlaylistDone: aAfter.completedItems,
        playlistStatus: bDone.status,
        timelineMs: { claimed: Number(tl[0]?.claimed), called: Number(tl[0]?.called), finished: Number(tl[0]?.finished) },
        bullBefore: { waiting: before.waiting, active: before.active },
        machineBusyPct: round(cpu.machineBusyPct, 1),
        foreignBusyPct: round(cpu.foreignBusyPct, 1),
      });
      log(`fairness: behind ${size.toLocaleString('en')}: B's first result ${first.ms} ms = ${ratio}× one item (A had ${aAt.completedItems} done; Bull held ${before.waiting} waiting, ${before.active} active)`);
      await session.owner.call('POST', `/api/v1/jobs/${backlog.id}/cancel`);
      await waitFor(session.owner, backlog.id, (v) => v.status === 'cancelled', 'cancel');
      // the cancelled backlog's items already in Bull finish as cancelled (at $0); then the queue is empty
      for (let i = 0; i < 300; i++) {
        const { rows: open } = await db.query(`SELECT count(*)::int AS n FROM job_items WHERE job_id = $1 AND status IN ('queued', 'running')`, [backlog.id]);
        if (open[0].n === 0) break;
        await sleep(100);
      }
    }
    return { startedAt, loadBefore, oneItemMs, singles, rows };
  } finally {
    for (const w of workers) await w.stop('SIGTERM', 10_000);
    await api.proc.stop('SIGTERM', 10_000);
    await emu.proc.stop();
    await db.end().catch(() => undefined);
  }
}

function report(r) {
  const lines = ['# Fairness between tenants', ''];
  lines.push(
    `${r.startedAt.toISOString()} · ${os.cpus().length} CPUs · load before ${r.loadBefore.map((x) => x.toFixed(2)).join(' ')} · API + ${S.workers} workers × WORKER_CONCURRENCY ${S.workerConcurrency} ` +
      `(${S.workers * S.workerConcurrency} model slots), every model answering in ${S.itemMs} ms.`,
  );
  lines.push('');
  lines.push(
    `One item's time (baseline, same run): median of ${S.singles} one-song jobs of a tenant alone on the cluster, POST → first result: **${r.oneItemMs} ms** (${r.singles.join(', ')} ms). ` +
      `Then, for each size, tenant A (unlimited plan) queues that many songs at medium; once every slot is busy, a new tenant B (free plan, the smallest weight) ` +
      `submits a ${S.playlist}-song playlist at medium: POST → B's first result.`,
  );
  lines.push('');
  lines.push(
    table(
      ["A's backlog", "A's 202", "B's first result", '÷ one item', 'target ≤ 2', "B's first item: claimed / at the model / done", "A done by then", "A done when B's playlist finished", 'machine busy (others)'],
      r.rows.map((x) => [
        x.size.toLocaleString('en'),
        `${x.acceptMs} ms`,
        `${x.firstResultMs} ms`,
        `${x.ratio}×`,
        x.pass ? '**PASS**' : '**FAIL**',
        `+${x.timelineMs.claimed} / +${x.timelineMs.called} / +${x.timelineMs.finished} ms`,
        x.backlogCompletedAtFirstResult,
        x.backlogCompletedWhenPlaylistDone,
        `${x.machineBusyPct}% (${x.foreignBusyPct}%)`,
      ]),
    ),
  );
  lines.push('');
  lines.push("B's first item, on the database's clock, after B's job was committed: claimed by a worker, its model call started, finished.");
  lines.push('');
  lines.push('Without fair shares B would wait for the whole backlog: ≈ size ÷ slots × one item (25 s behind 1,000 at 250 ms an item).');
  return `${lines.join('\n')}\n`;
}

await runClusterBench(cluster, {
  name: 'fairness',
  run,
  summarize: (r) => ({ md: report(r), failed: r.rows.some((x) => !x.pass) }),
  record: (r) => ({ settings: S, ...r }),
});
