// The frame of a stand-alone cluster benchmark (fairness, plans, backfill): clean up on exit and Ctrl-C, build
// the apps, run, write bench/results/<name>.json and .md, print the summary, stop every process started, drop
// the bench database and Redis db and the dist snapshot, and exit non-zero when a target was missed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, installCleanup, ROOT, stopAll } from './procs.mjs';

/**
 * `run()` measures and returns the figures; `summarize(r)` gives `{md, failed}`; `record(r)` what goes into the
 * JSON besides `{benchmark: name}`.
 */
export async function runClusterBench(cluster, { name, run, summarize, record }) {
  const cleanUp = async () => {
    await cluster.dropDatabase().catch(() => undefined);
    await cluster.flushRedis().catch(() => undefined);
  };
  installCleanup(cleanUp);
  const built = spawnSync(process.execPath, ['scripts/build.mjs', 'api', 'worker', 'llm-emulator'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) {
    process.stderr.write('build failed\n');
    process.exit(1);
  }
  const resultsDir = path.join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  let failed = false;
  try {
    const r = await run();
    const summary = summarize(r);
    writeFileSync(path.join(resultsDir, `${name}.json`), `${JSON.stringify({ benchmark: name, ...record(r) }, null, 2)}\n`);
    writeFileSync(path.join(resultsDir, `${name}.md`), summary.md);
    process.stdout.write(`\n${summary.md}\n`);
    failed = summary.failed;
  } catch (err) {
    failed = true;
    process.stderr.write(`\n${name} benchmark failed: ${err.stack ?? err.message}\n`);
  } finally {
    await stopAll();
    await cleanUp();
    cluster.removeSnapshot();
  }
  process.exit(failed ? 1 : 0);
}
