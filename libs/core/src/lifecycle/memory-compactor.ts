import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import v8 from 'node:v8';
import vm from 'node:vm';

type Collect = () => void;

/** How long the process must have had no new burst before it collects (a burst of bursts collects once). */
export const COMPACT_QUIET_MS = 1000;
/** At most one collection this often, however many bursts. */
export const COMPACT_MIN_INTERVAL_MS = 10_000;

/**
 * Gives the memory of a large, finished burst of work back to the OS. V8 collects its old generation only under
 * allocation pressure, so after a 100,000-item submission an idle API keeps the heap it grew to (about 140 MiB of
 * garbage, and the RSS with it) indefinitely; one full collection once the process has been quiet for a moment
 * returns it within a couple of seconds. Only work that is known to have allocated that much asks for it (a
 * submission that spilled to disk), so ordinary traffic never pays for a full collection.
 */
@Injectable()
export class MemoryCompactor implements OnModuleDestroy {
  private readonly logger = new Logger(MemoryCompactor.name);
  private timer: NodeJS.Timeout | null = null;
  private lastRunAt = -Infinity;
  private collect: Collect | null | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A burst just ended: collect once things have been quiet for COMPACT_QUIET_MS. */
  compactSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(COMPACT_QUIET_MS, this.lastRunAt + COMPACT_MIN_INTERVAL_MS - this.now());
    this.timer = setTimeout(() => this.run(), wait);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private run(): void {
    this.timer = null;
    this.lastRunAt = this.now();
    const collect = this.collector();
    if (!collect) return;
    const before = process.memoryUsage().heapTotal;
    const started = performance.now();
    try {
      // V8's forced full collection, the one that also shrinks the heap (a plain 'major' one, sync or async,
      // frees the garbage but keeps the heap at its grown size). Its pause (~100 ms for a heap of a few hundred
      // MiB on a busy 2-core machine) falls in a quiet moment, once per burst.
      collect();
      // a second pass frees what the first one only found dead (objects with finalizers, weak references) and
      // shrinks the heap to what is live
      collect();
    } catch (err) {
      this.logger.warn(`memory compaction failed: ${(err as Error).message}`);
      return;
    }
    const pauseMs = Math.round(performance.now() - started);
    this.logger.log({ heapTotalBefore: before, heapTotalAfter: process.memoryUsage().heapTotal, pauseMs }, 'Heap compacted after a large burst');
  }

  /** V8's collector: the global one when the process runs with --expose-gc, else exposed once at first use. */
  private collector(): Collect | null {
    if (this.collect !== undefined) return this.collect;
    const global = (globalThis as { gc?: Collect }).gc;
    if (typeof global === 'function') return (this.collect = global);
    try {
      v8.setFlagsFromString('--expose-gc');
      this.collect = vm.runInNewContext('gc') as Collect;
    } catch (err) {
      this.logger.warn(`memory compaction unavailable: ${(err as Error).message}`);
      this.collect = null;
    }
    return this.collect;
  }
}
