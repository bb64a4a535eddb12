#!/usr/bin/env node
// `npm run bench` (all three), `npm run bench -- gateway`, `npm run bench -- limiter`, `npm run bench -- outage`.
// Builds the API, the worker and the emulator, runs the benchmarks one after another, writes
// bench/results/<name>.json and <name>.md, and prints the summaries. See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from '../scripts/lib/build.mjs';
import { gatewayBenchmark } from './gateway.mjs';
import { limiterBenchmark } from './limiter.mjs';
import { cleanUpOutageServices, outageBenchmark } from './outage.mjs';
import { snapshotDist } from './lib/dist.mjs';
import { dropDatabase, flushRedis } from './lib/margin.mjs';
import { BENCH_DIR, installCleanup, interrupted, log, stopAll } from './lib/procs.mjs';

const BENCHMARKS = { gateway: gatewayBenchmark, limiter: limiterBenchmark, outage: outageBenchmark };
const RESULTS_DIR = path.join(BENCH_DIR, 'results');

async function cleanUpServices() {
  await dropDatabase().catch((err) => log(`could not drop the bench database: ${err.message}`));
  await flushRedis().catch((err) => log(`could not flush Redis db 12: ${err.message}`));
  await cleanUpOutageServices();
}

async function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !BENCHMARKS[a]);
  if (unknown.length) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; choose from: ${Object.keys(BENCHMARKS).join(', ')}\n`);
    process.exit(64);
  }
  const selected = args.length ? Object.keys(BENCHMARKS).filter((b) => args.includes(b)) : Object.keys(BENCHMARKS);
  installCleanup(cleanUpServices);
  const started = Date.now();
  build(['api', 'worker', 'llm-emulator']);
  snapshotDist('gateway');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const summaries = [];
  let failed = false;
  try {
    for (const name of selected) {
      const t0 = Date.now();
      const report = await BENCHMARKS[name]({ resultsDir: RESULTS_DIR });
      writeFileSync(path.join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(report.json, null, 2)}\n`);
      writeFileSync(path.join(RESULTS_DIR, `${name}.md`), report.markdown);
      log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s → bench/results/${name}.json, bench/results/${name}.md`);
      summaries.push(report.markdown);
    }
  } catch (err) {
    failed = true;
    if (!interrupted()) process.stderr.write(`\nbenchmark failed: ${err.stack ?? err.message}\n`);
  } finally {
    await stopAll();
    await cleanUpServices();
  }
  if (summaries.length) process.stdout.write(`\n${summaries.join('\n')}\n`);
  log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exit(failed ? 1 : 0);
}

await main();
