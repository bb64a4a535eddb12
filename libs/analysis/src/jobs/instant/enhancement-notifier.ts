import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { MAINTENANCE_JOBS, QUEUES, type AnalysisEnhancedEvent, type EnhancedPayload } from '@margin/contracts';
import { guardedFetch, OutboundPolicy, picoToUsd, usdToPico, validatePayload, webhookSignature } from '@margin/core';
import type { Job, Queue } from 'bull';
import { IsUUID } from 'class-validator';
import { JobsRepository } from '../jobs.repository';
import { ProgressPublisher } from '../../progress/progress.publisher';
import { CallbackSecretsRepository } from './callback-secrets.repository';
import { EnhancementRegistry } from './enhancements';

class EnhancedCommand implements EnhancedPayload {
  @IsUUID() tenantId!: string;
  @IsUUID() itemId!: string;
}

/** How often, and after how long, the sweep looks for enhancements nobody told. */
const SWEEP_EVERY_MS = 60_000;
const OVERDUE_MS = 60_000;
/** A receiver gets this long to answer a callback. */
const CALLBACK_TIMEOUT_MS = 10_000;

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** A callback answer that will not change on a retry (the receiver refuses it): given up, not retried. */
const permanent = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;

/**
 * Worker side of instant analysis: once the queued full analysis of a provisional answer is final, its callers
 * hear of it — `analysis.enhanced` on the progress socket, and a signed POST to each callback URL they gave.
 * Told through a Bull job per item (retried with backoff; a callback delivered is not sent again), queued when
 * the item finishes and, should the worker die in between, by a sweep.
 */
@Injectable()
@Processor(QUEUES.maintenance)
export class EnhancementNotifier implements OnApplicationBootstrap {
  private readonly logger = new Logger(EnhancementNotifier.name);
  private readonly fetch: typeof fetch;

  constructor(
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue,
    private readonly registry: EnhancementRegistry,
    private readonly repo: JobsRepository,
    private readonly progress: ProgressPublisher,
    private readonly secrets: CallbackSecretsRepository,
    policy: OutboundPolicy,
  ) {
    this.fetch = guardedFetch(policy);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.add(
      MAINTENANCE_JOBS.analysisEnhancedSweep,
      {},
      { repeat: { every: SWEEP_EVERY_MS }, removeOnComplete: 20, removeOnFail: 50, attempts: 1 },
    );
  }

  /** Called by the item runner after an instant job's item became final (committed). */
  async itemFinished(tenantId: string, itemId: string): Promise<void> {
    await this.queue.add(MAINTENANCE_JOBS.analysisEnhanced, { tenantId, itemId } satisfies EnhancedPayload, {
      jobId: `enhanced:${itemId}`,
      attempts: 8,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: true,
      removeOnFail: 200,
    });
  }

  @Process(MAINTENANCE_JOBS.analysisEnhancedSweep)
  async sweep(): Promise<void> {
    for (const itemId of await this.registry.overdue(OVERDUE_MS, 200)) {
      const pending = await this.registry.pending(itemId);
      if (!pending) {
        await this.registry.done(itemId);
        continue;
      }
      const found = await this.repo.findItemWithProfile(pending.tenantId, itemId);
      if (!found) await this.registry.done(itemId);
      else if (FINAL.has(found.item.status)) await this.itemFinished(pending.tenantId, itemId);
    }
  }

  @Process(MAINTENANCE_JOBS.analysisEnhanced)
  async tell(job: Job<unknown>): Promise<void> {
    const { tenantId, itemId } = validatePayload(EnhancedCommand, job.data, 'analysis.enhanced payload');
    const pending = await this.registry.pending(itemId);
    if (!pending || pending.tenantId !== tenantId) return; // told already
    const found = await this.repo.findItemWithProfile(tenantId, itemId);
    if (!found) {
      await this.registry.done(itemId);
      return;
    }
    const { item } = found;
    if (!FINAL.has(item.status)) return; // not yet: its own completion queues this again
    const event: AnalysisEnhancedEvent = {
      jobId: item.jobId,
      itemId,
      profile: pending.profile,
      status: item.status as AnalysisEnhancedEvent['status'],
      result: item.status === 'completed' ? item.result : null,
      error: item.error ?? null,
      model: item.model,
      costUsd: picoToUsd(usdToPico(item.costUsd ?? '0')),
      cached: item.cached,
    };
    // the socket first: on a retry for a callback, sockets hear it again (an event, not a command)
    await this.progress.analysisEnhanced(tenantId, event);
    const undelivered: string[] = [];
    if (pending.callbacks.length) {
      const { secret } = await this.secrets.get(tenantId);
      const body = JSON.stringify({ event: 'analysis.enhanced', data: event });
      for (const url of pending.callbacks) {
        const outcome = await this.post(url, body, secret);
        if (outcome === 'retry') undelivered.push(url);
        else await this.registry.dropCallback(itemId, url);
      }
    }
    if (undelivered.length && job.attemptsMade + 1 < (job.opts.attempts ?? 1)) {
      throw new Error(`analysis.enhanced: ${undelivered.length} callback(s) not delivered yet`);
    }
    if (undelivered.length) this.logger.warn({ tenantId, itemId, callbacks: undelivered.length }, 'Instant analysis callbacks given up after retries');
    await this.registry.done(itemId);
  }

  private async post(url: string, body: string, secret: string): Promise<'delivered' | 'refused' | 'retry'> {
    try {
      const res = await this.fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-margin-event': 'analysis.enhanced',
          'x-margin-signature': webhookSignature(secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'delivered';
      if (permanent(res.status)) {
        this.logger.warn({ status: res.status, host: new URL(url).host }, 'Instant analysis callback refused by its receiver');
        return 'refused';
      }
      return 'retry';
    } catch (err) {
      this.logger.warn({ host: new URL(url).host, err: (err as Error).message }, 'Instant analysis callback failed');
      return 'retry';
    }
  }
}
