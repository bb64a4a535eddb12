// Baseline of the throughput benchmark: raw Bull, no Margin. Its own process (like a worker), the same Redis,
// the same queue settings and job options as Margin's analysis queue (libs/analysis analysis.module.ts and
// jobs.service.ts: lockDuration 15 s, priority, attempts 3, removeOnComplete), the same batch size for
// addBulk (1,000), and a processor that does nothing. Measures how many jobs per second Bull itself moves
// through wait → active → completed at the given concurrency.
//
// With RAW_BULL_CALL (JSON: { host, model, system, format, numPredict, lyrics }), the processor instead makes
// the one model call a Margin item makes — POST /api/chat streamed, through the same `ollama` client Margin's
// adapter uses — and nothing else: the ceiling of any worker that calls the model once per job.
//
// `node bench/lib/jobs-raw-bull.mjs` with env RAW_BULL_REDIS_URL, RAW_BULL_COUNT, RAW_BULL_CONCURRENCY
// (and optionally RAW_BULL_CALL); prints one JSON line with the result on stdout.
import { randomUUID } from 'node:crypto';
import Bull from 'bull';
import { Ollama } from 'ollama';

const redisUrl = process.env.RAW_BULL_REDIS_URL ?? 'redis://127.0.0.1:6379/10';
const count = Number(process.env.RAW_BULL_COUNT ?? 20_000);
const concurrency = Number(process.env.RAW_BULL_CONCURRENCY ?? 20);
const BATCH = 1000;
const SETTINGS = { lockDuration: 15_000, lockRenewTime: 5_000, stalledInterval: 5_000, maxStalledCount: 3 };
const OPTS = { priority: 5, attempts: 3, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: true, removeOnFail: 1000 };

const call = process.env.RAW_BULL_CALL ? JSON.parse(process.env.RAW_BULL_CALL) : null;
const client = call ? new Ollama({ host: call.host }) : null;

/** The model call of one item: a distinct song per job, the answer read to the end. */
async function modelCall(job) {
  const { itemId } = job.data;
  const parts = await client.chat({
    model: call.model,
    stream: true,
    format: call.format,
    options: { num_predict: call.numPredict },
    messages: [
      { role: 'system', content: call.system },
      { role: 'user', content: `Song: "ceiling ${itemId}" by The Ceiling Singers\n\nLyrics:\n<<<\n${call.lyrics} (${itemId})\n>>>\n\nGive a summary, themes, concerns, a score and a verdict.` },
    ],
  });
  let done = false;
  for await (const part of parts) if (part.done) done = true;
  if (!done) throw new Error('the stream ended without its final message');
}

const queue = new Bull(`raw-${randomUUID().slice(0, 8)}`, redisUrl, { prefix: 'bench-raw', settings: SETTINGS });

async function main() {
  await queue.isReady();
  const tenantId = randomUUID();
  const jobId = randomUUID();
  const addStarted = performance.now();
  for (let i = 0; i < count; i += BATCH) {
    const n = Math.min(BATCH, count - i);
    await queue.addBulk(Array.from({ length: n }, () => {
      const itemId = randomUUID();
      return { name: 'item', data: { tenantId, jobId, itemId }, opts: { ...OPTS, jobId: itemId } };
    }));
  }
  const addMs = performance.now() - addStarted;

  const stamps = new Float64Array(count);
  let done = 0;
  let failed = 0;
  const finished = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${done} of ${count} jobs completed within 180 s`)), 180_000);
    queue.on('completed', () => {
      stamps[done++] = performance.now();
      if (done === count) {
        clearTimeout(timer);
        resolve();
      }
    });
    queue.on('failed', () => failed++);
  });
  const t0 = performance.now();
  void queue.process('item', concurrency, call ? modelCall : async () => undefined);
  await finished;
  const elapsedMs = stamps[count - 1] - t0;
  // Steady state: between the 10th and the 90th percentile of completions (start-up and drain left out).
  const a = Math.floor(count * 0.1);
  const b = Math.floor(count * 0.9);
  const steadyPerSecond = ((b - a) / (stamps[b] - stamps[a])) * 1000;
  const result = {
    count,
    concurrency,
    failed,
    addMs: Math.round(addMs),
    processMs: Math.round(elapsedMs),
    jobsPerSecond: (count / elapsedMs) * 1000,
    steadyJobsPerSecond: steadyPerSecond,
  };
  await queue.obliterate({ force: true });
  await queue.close();
  process.stdout.write(`${JSON.stringify({ rawBull: result })}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`raw bull baseline failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
