// `node --import ./bench/lib/jobs-memory-preload.mjs <app>` with BENCH_MEMORY_LOG=<file>: every 100 ms appends
// one line "<epoch ms> <rss> <heapTotal> <heapUsed> <external> <arrayBuffers>" (bytes, process.memoryUsage())
// to the file, so the bench can tell V8 heap kept by the process from memory that is merely not returned to
// the OS. Costs one memoryUsage() call and one small synchronous append per 100 ms.
// SIGWINCH (sent by the bench only after its measurements) forces a full garbage collection and appends the
// reading after it with a trailing "gc": what is still held then is live, not garbage waiting for a collection.
import { appendFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

const out = process.env.BENCH_MEMORY_LOG;
if (out) {
  const line = (suffix = '') => {
    const m = process.memoryUsage();
    appendFileSync(out, `${Date.now()} ${m.rss} ${m.heapTotal} ${m.heapUsed} ${m.external} ${m.arrayBuffers}${suffix}\n`);
  };
  const timer = setInterval(() => {
    try {
      line();
    } catch {
      clearInterval(timer); // the bench removed the file
    }
  }, 100);
  timer.unref();
  process.on('SIGWINCH', () => {
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc');
      gc();
      line(' gc');
    } catch (err) {
      process.stderr.write(`memory preload: ${err.message}\n`);
    }
  });
}
