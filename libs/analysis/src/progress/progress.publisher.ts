import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type AnalysisEnhancedEvent, type ItemCompletedEvent, type JobCounters, jobRoom, PROGRESS_NAMESPACE, tenantRoom } from '@margin/contracts';
import { Listeners, REDIS, RedisScript, type ScriptCall } from '@margin/core';
import { type BroadcastOperator, Emitter } from '@socket.io/redis-emitter';
import type Redis from 'ioredis';
import { type ProgressEmitEvents, TERMINAL_JOB_STATUSES } from './progress.types';

/** At most one job.progress per job per this many ms, across every process. */
export const PROGRESS_INTERVAL_MS = 250;

// Takes the job's progress slot, or says how long until it frees up: -1 taken, otherwise the remaining ms.
const TAKE_SLOT = new RedisScript(
  `
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return -1 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
return ttl`,
  { keys: 1 },
);

const slotKey = (jobId: string) => `margin:progress:slot:${jobId}`;

interface Trailing {
  tenantId: string;
  read: () => Promise<JobCounters>;
  timer?: NodeJS.Timeout;
}

/**
 * Publishes progress events to the feed's rooms from any process (workers, and the API e.g. on cancel),
 * through Redis, so they reach the sockets of every API instance. Best effort: a failure is logged and never
 * thrown, because the counters in Postgres (GET /jobs/:id) stay the truth and processing must go on.
 */
@Injectable()
export class ProgressPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(ProgressPublisher.name);
  private readonly redis: Redis;
  private readonly takeSlotScript: ScriptCall;
  private readonly emitter: Emitter<ProgressEmitEvents>;
  /** Publications started by the emit in progress (the emitter publishes without returning the promise). */
  private capture: Array<Promise<unknown>> | null = null;
  /** At most one trailing job.progress per job in this process. */
  private readonly trailing = new Map<string, Trailing>();
  /** Per job, the emission in flight: emissions of one job leave this process in order. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private closed = false;
  /** Every finished item, published or not (the feed is best effort; the metrics count them in memory). */
  readonly itemsCompleted = new Listeners<ItemCompletedEvent & { tenantId: string }>();

  constructor(@Inject(REDIS) shared: Redis) {
    this.redis = shared.duplicate();
    this.takeSlotScript = TAKE_SLOT.defineOn(this.redis);
    this.redis.on('error', (err: Error) => this.logger.warn(`Progress publisher Redis: ${err.message}`));
    const client = {
      publish: (channel: string, message: string | Buffer) => {
        const sent = this.redis.publish(channel, message);
        if (this.capture) this.capture.push(sent);
        else sent.catch((err: Error) => this.logger.warn(`Progress publish failed: ${err.message}`));
        return sent;
      },
    };
    this.emitter = new Emitter<ProgressEmitEvents>(client).of(PROGRESS_NAMESPACE);
  }

  /** To the job's room and the tenant's room; a socket in both gets it once. */
  async itemCompleted(tenantId: string, event: ItemCompletedEvent): Promise<void> {
    this.itemsCompleted.emit({ ...event, tenantId });
    await this.safely(`item.completed for job ${event.jobId}`, () => this.emit(tenantId, event.jobId, (to) => to.emit('item.completed', event)));
  }

  /** The full result of an instant analysis answered provisionally: to the job's room and the tenant's room. */
  async analysisEnhanced(tenantId: string, event: AnalysisEnhancedEvent): Promise<void> {
    await this.emit(tenantId, event.jobId, (to) => to.emit('analysis.enhanced', event));
  }

  /**
   * Call after every change of a job's counters. Emits job.progress at most every PROGRESS_INTERVAL_MS per job
   * across processes; a call that falls inside the interval leaves one trailing emission (per job, per
   * process) that reads the counters again when the interval ends, so the latest counters always go out.
   * A terminal status is left to jobCompleted, which sends the final counters before job.completed.
   */
  async jobProgress(tenantId: string, jobId: string, read: () => Promise<JobCounters>): Promise<void> {
    await this.safely(`job.progress for job ${jobId}`, async () => {
      if (this.closed) return;
      const pending = this.trailing.get(jobId);
      if (pending) {
        // A trailing emission is due and will read the counters after this change: no need to ask Redis.
        pending.tenantId = tenantId;
        pending.read = read;
        return;
      }
      const waitMs = await this.takeSlot(jobId);
      if (waitMs === null) {
        // This read comes after every change a pending trailing emission was for.
        this.cancelTrailing(jobId);
        await this.readAndEmit(tenantId, jobId, read);
      } else {
        this.scheduleTrailing(tenantId, jobId, read, waitMs);
      }
    });
  }

  /** The final job.progress, then job.completed, whatever the throttle says. */
  async jobCompleted(tenantId: string, counters: JobCounters): Promise<void> {
    const { jobId } = counters;
    this.cancelTrailing(jobId);
    await this.safely(`job.completed for job ${jobId}`, () =>
      this.inOrder(jobId, async () => {
        await this.emit(tenantId, jobId, (to) => to.emit('job.progress', counters));
        await this.emit(tenantId, jobId, (to) => to.emit('job.completed', counters));
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    for (const jobId of [...this.trailing.keys()]) this.cancelTrailing(jobId);
    await Promise.all([...this.inFlight.values()]);
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async takeSlot(jobId: string): Promise<number | null> {
    const result = Number(await this.takeSlotScript([slotKey(jobId)], [PROGRESS_INTERVAL_MS]));
    return result < 0 ? null : result;
  }

  private scheduleTrailing(tenantId: string, jobId: string, read: () => Promise<JobCounters>, waitMs: number): void {
    const pending = this.trailing.get(jobId);
    if (pending) {
      // Keep the newest reader; the timer already set will use it.
      pending.tenantId = tenantId;
      pending.read = read;
      return;
    }
    const entry: Trailing = { tenantId, read };
    this.trailing.set(jobId, entry);
    this.arm(jobId, entry, waitMs);
  }

  private arm(jobId: string, entry: Trailing, waitMs: number): void {
    entry.timer = setTimeout(() => void this.fireTrailing(jobId, entry), Math.max(waitMs, 5));
  }

  private async fireTrailing(jobId: string, entry: Trailing): Promise<void> {
    entry.timer = undefined;
    await this.safely(`trailing job.progress for job ${jobId}`, async () => {
      const waitMs = await this.takeSlot(jobId);
      if (this.trailing.get(jobId) !== entry) return; // superseded or cancelled meanwhile
      if (waitMs !== null) {
        // Another process emitted in the meantime; its read may predate our change, so try again.
        this.arm(jobId, entry, waitMs);
        return;
      }
      this.trailing.delete(jobId);
      await this.readAndEmit(entry.tenantId, jobId, entry.read);
    });
    if (this.trailing.get(jobId) === entry && entry.timer === undefined) this.trailing.delete(jobId);
  }

  private cancelTrailing(jobId: string): void {
    const pending = this.trailing.get(jobId);
    if (pending?.timer) clearTimeout(pending.timer);
    this.trailing.delete(jobId);
  }

  private readAndEmit(tenantId: string, jobId: string, read: () => Promise<JobCounters>): Promise<void> {
    return this.inOrder(jobId, async () => {
      const counters = await read();
      if (TERMINAL_JOB_STATUSES.has(counters.status)) return;
      await this.emit(tenantId, jobId, (to) => to.emit('job.progress', counters));
    });
  }

  /** Runs `work` after the job's emission in flight, so that a slow read cannot overtake a later one. */
  private async inOrder(jobId: string, work: () => Promise<void>): Promise<void> {
    const previous = this.inFlight.get(jobId) ?? Promise.resolve();
    const run = previous.then(work);
    const settled = run.catch(() => undefined);
    this.inFlight.set(jobId, settled);
    try {
      await run;
    } finally {
      if (this.inFlight.get(jobId) === settled) this.inFlight.delete(jobId);
    }
  }

  /** Sends to the job's room and the tenant's room, and waits until Redis has the publication. */
  private async emit(tenantId: string, jobId: string, send: (rooms: BroadcastOperator<ProgressEmitEvents>) => void): Promise<void> {
    const sent: Array<Promise<unknown>> = [];
    this.capture = sent;
    try {
      send(this.emitter.to([jobRoom(jobId), tenantRoom(tenantId)]));
    } finally {
      this.capture = null;
    }
    await Promise.all(sent);
  }

  private async safely(what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.logger.warn(`Progress feed: ${what} not sent: ${(err as Error).message}`);
    }
  }
}
