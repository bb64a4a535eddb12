#!/usr/bin/env node
// Outage recovery (`npm run bench -- outage`, or `node bench/outage.mjs`): the model server is unreachable
// (connection refused) for BENCH_OUTAGE_SECONDS (60) in the middle of a job, then comes back.
//
//   items failed  — the job's failed items after the outage. Target 0.
//   recovery      — seconds from the provider's return to the first item a model completes after it, as a
//                   ratio against the bound: the circuit breaker's half-open interval (30 s: an item that finds
//                   the circuit open waits for it) + one item's time, measured in the same run (median item
//                   duration of a warm-up job before the outage). Target ratio ≤ 1.
//
// Every provider reaches the emulator through a TCP link the bench controls (lib/faulty-link.mjs): closing it
// refuses connections as a stopped model server does. One API and one worker process (WORKER_CONCURRENCY 5),
// the emulator answering each call in BENCH_OUTAGE_LATENCY_MS (500). Needs PostgreSQL and Redis like the
// other benches; creates and finally drops `margin_bench_outage`, uses Redis db 11 (flushed at start and end;
// BENCH_OUTAGE_DATABASE_URL / BENCH_OUTAGE_REDIS_URL). ~2.5 minutes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { appMain, removeSnapshot, snapshotDist } from './lib/dist.mjs';
import { startEmulator } from './lib/emulator.mjs';
import { FaultyLink } from './lib/faulty-link.mjs';
import { BENCH_DIR, installCleanup, interrupted, log, ROOT, sleep, spawnNode, stopAll } from './lib/procs.mjs';
import { benchStack } from './lib/stack.mjs';
import { fmtRatio, round, table } from './lib/stats.mjs';

const num = (name, fallback) => {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
};

const S = {
  outageSeconds: num('BENCH_OUTAGE_SECONDS', 60),
  latencyMs: num('BENCH_OUTAGE_LATENCY_MS', 500),
  items: num('BENCH_OUTAGE_ITEMS', 80),
  warmupItems: 20,
  workerConcurrency: 5,
  /** CircuitBreaker's default openMs (libs/model-router limits/circuit-breaker.ts). */
  halfOpenSeconds: 30,
};

const DATABASE_URL = process.env.BENCH_OUTAGE_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_bench_outage';
const REDIS_URL = process.env.BENCH_OUTAGE_REDIS_URL ?? 'redis://127.0.0.1:6379/11';
const stack = benchStack({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, ownerEmail: 'bench-outage-owner@margin.local' });

const song = (tag, i) => ({ title: `${tag} canticle ${i}`, artist: `The ${tag} Ensemble`, lyrics: `Verse ${i}: holy, holy, holy, Lord God almighty\nearly in the morning ${i}` });

async function api(url, headers, method, route, body) {
  const res = await fetch(`${url}${route}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${route} → ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

export async function outageBenchmark() {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const link = await FaultyLink.open();
  const emu = await startEmulator('emulator-outage', {
    defaults: { latencyMs: S.latencyMs, tokensPerSecond: 0, parallel: 10, rpm: 0, tpm: 0 },
    models: ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'].map((name) => ({
      name,
      latencyMs: S.latencyMs,
      tokensPerSecond: 0,
      parallel: 10,
      rpm: 0,
      tpm: 0,
    })),
  });
  link.pointAt(emu.url);
  const db = new pg.Client({ connectionString: DATABASE_URL });
  let dbOpen = false;
  const procs = [emu.proc];
  try {
    log(`outage: fresh database ${stack.databaseName()}, Redis ${REDIS_URL}, providers behind ${link.url}`);
    await stack.prepare(link.url);
    const started = await stack.startApi('margin-api', link.url);
    const { url } = started;
    procs.push(started.proc);
    const worker = spawnNode('margin-worker', [appMain('worker')], { env: stack.env(link.url, { WORKER_CONCURRENCY: String(S.workerConcurrency), LOG_LEVEL: 'warn' }) });
    procs.push(worker);
    await db.connect();
    dbOpen = true;
    const login = await api(url, {}, 'POST', '/api/v1/auth/login', stack.owner);
    const auth = { authorization: `Bearer ${login.accessToken}` };
    await api(url, auth, 'PUT', `/api/v1/router/models/${encodeURIComponent('ollama/qwen3:8b')}`, { maxConcurrency: 10 });
    await waitFor('a worker', async () => ((await (await fetch(`${url}/health`)).json()).details?.workers?.count ?? 0) > 0, 60_000);

    const jobDone = (id) => waitFor(`job ${id}`, async () => {
      const j = await api(url, auth, 'GET', `/api/v1/jobs/${id}`);
      return ['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(j.status) ? j : null;
    }, 600_000);

    // One item's time on this machine now: the warm-up job's median item duration.
    const warm = await api(url, auth, 'POST', '/api/v1/jobs', { profile: 'song-analysis', items: Array.from({ length: S.warmupItems }, (_, i) => song('warmup', i)) });
    await jobDone(warm.id);
    const durations = (await db.query(`SELECT extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM job_items WHERE job_id = $1 AND status = 'completed' ORDER BY 1`, [warm.id])).rows.map((r) => Number(r.ms));
    const oneItemMs = durations[Math.floor(durations.length / 2)] ?? S.latencyMs;

    const job = await api(url, auth, 'POST', '/api/v1/jobs', { profile: 'song-analysis', name: 'outage', items: Array.from({ length: S.items }, (_, i) => song('outage', i)) });
    await waitFor('the job under way', async () => (await api(url, auth, 'GET', `/api/v1/jobs/${job.id}`)).completedItems >= 10, 120_000);
    log(`outage: model server unreachable for ${S.outageSeconds} s`);
    await link.refuse();
    const cutAt = Date.now();
    let waitingSeen = false;
    while (Date.now() - cutAt < S.outageSeconds * 1000) {
      waitingSeen ||= (await api(url, auth, 'GET', `/api/v1/jobs/${job.id}`)).waiting === true;
      await sleep(1000);
    }
    const duringOutage = await api(url, auth, 'GET', `/api/v1/jobs/${job.id}`);
    await link.restore();
    const backAt = new Date();
    log('outage: model server back');
    const first = await waitFor('the first item after the return', async () => {
      const r = await db.query(`SELECT min(finished_at) AS at FROM job_items WHERE job_id = $1 AND status = 'completed' AND NOT cached AND finished_at > $2`, [job.id, backAt]);
      return r.rows[0]?.at ?? null;
    }, 300_000);
    const recoverySeconds = (new Date(first).getTime() - backAt.getTime()) / 1000;
    const final = await jobDone(job.id);
    const boundSeconds = S.halfOpenSeconds + oneItemMs / 1000;
    const ratio = recoverySeconds / boundSeconds;
    const json = {
      startedAt: startedAt.toISOString(),
      settings: S,
      machine: { cpus: os.cpus().length, loadBefore, loadAfter: os.loadavg() },
      oneItemMs: round(oneItemMs, 1),
      failedDuringOutage: duringOutage.failedItems,
      failedAtEnd: final.failedItems,
      waitingShown: waitingSeen,
      finalStatus: final.status,
      recoverySeconds: round(recoverySeconds, 2),
      boundSeconds: round(boundSeconds, 2),
      recoveryRatio: round(ratio, 3),
      pass: { failed: final.failedItems === 0, recovery: ratio <= 1 },
    };
    const verdict = (ok) => (ok ? '**PASS**' : '**FAIL**');
    const markdown = [
      '## outage — items failed during a 60 s outage, recovery after it',
      '',
      table(
        ['figure', 'value', 'target', ''],
        [
          ['items failed (job of ' + S.items + ', outage ' + S.outageSeconds + ' s)', String(final.failedItems), '0', verdict(json.pass.failed)],
          ['provider back → first completed item', `${recoverySeconds.toFixed(1)} s`, `≤ ${boundSeconds.toFixed(1)} s (half-open ${S.halfOpenSeconds} s + one item ${(oneItemMs / 1000).toFixed(2)} s)`, ''],
          ['recovery ÷ bound', fmtRatio(ratio), '≤ 1', verdict(json.pass.recovery)],
          ['job said it was waiting', waitingSeen ? 'yes' : 'no', 'yes', verdict(waitingSeen)],
        ],
      ),
      '',
      `Job ended \`${final.status}\`; load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} cores).`,
      '',
    ].join('\n');
    return { json, markdown };
  } finally {
    if (dbOpen) await db.end().catch(() => undefined);
    await link.close();
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 10_000)));
    await cleanUpOutageServices();
  }
}

export async function cleanUpOutageServices() {
  await stack.dropDatabase().catch((err) => log(`could not drop ${stack.databaseName()}: ${err.message}`));
  await stack.flushRedis().catch((err) => log(`could not flush ${REDIS_URL}: ${err.message}`));
}

async function main() {
  installCleanup(cleanUpOutageServices);
  const built = spawnSync(process.execPath, ['scripts/build.mjs', 'api', 'worker', 'llm-emulator'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) {
    process.stderr.write('build failed\n');
    process.exit(1);
  }
  snapshotDist('outage');
  const resultsDir = path.join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  let failed = false;
  try {
    const report = await outageBenchmark();
    writeFileSync(path.join(resultsDir, 'outage.json'), `${JSON.stringify(report.json, null, 2)}\n`);
    writeFileSync(path.join(resultsDir, 'outage.md'), report.markdown);
    process.stdout.write(`\n${report.markdown}\n`);
  } catch (err) {
    failed = true;
    if (!interrupted()) process.stderr.write(`\nbenchmark failed: ${err.stack ?? err.message}\n`);
  } finally {
    await stopAll();
    removeSnapshot();
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
