import { Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ProgressPublisher } from '@margin/analysis';
import { LedgerService, type LedgerEntry } from '@margin/cost-tracking';
import { PICO_PER_USD } from '@margin/core';
import { LlmExecutor, type LimiterOutcome } from '@margin/model-router';
import { MarginMetrics } from './margin-metrics';

/** pico-dollars → a float USD for a counter (the ledger keeps the exact figure; Prometheus keeps floats anyway). */
const usd = (pico: bigint) => Number(pico) / Number(PICO_PER_USD);

/**
 * Counts what this process does as it happens, from the events of the ledger (every booked attempt), the
 * executor (every pass through the rate limiter) and the progress publisher (every finished item): memory
 * only, no database or Redis work per call.
 */
@Injectable()
export class MetricsRecorder implements OnModuleInit, OnModuleDestroy {
  private readonly stops: Array<() => void> = [];

  constructor(
    private readonly metrics: MarginMetrics,
    private readonly ledger: LedgerService,
    private readonly executor: LlmExecutor,
    @Optional() private readonly progress?: ProgressPublisher,
  ) {}

  onModuleInit(): void {
    this.stops.push(this.ledger.booked.add((e) => this.onBooked(e)));
    this.stops.push(this.executor.limiterOutcomes.add((e) => this.onLimiter(e)));
    if (this.progress) this.stops.push(this.progress.itemsCompleted.add((e) => this.onItem(e.status, e.cached)));
  }

  onModuleDestroy(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  onBooked(e: LedgerEntry): void {
    const m = this.metrics;
    const provider = m.providers.of(e.providerId);
    const model = m.models.of(e.modelId);
    const operation = m.operations.of(e.operation);
    const outcome = e.outcome.slice(0, 32);
    m.llmCalls.inc({ provider, model, operation, outcome });
    m.llmDuration.observe({ provider, model, outcome }, e.latencyMs / 1000);
    const u = e.usage;
    // input_tokens includes the cached ones; the cached share is also counted on its own
    if (u.inputTokens) m.llmTokens.inc({ provider, model, direction: 'input' }, u.inputTokens);
    if (u.cachedInputTokens) m.llmTokens.inc({ provider, model, direction: 'cached_input' }, u.cachedInputTokens);
    if (u.outputTokens) m.llmTokens.inc({ provider, model, direction: 'output' }, u.outputTokens);
    if (u.reasoningTokens) m.llmTokens.inc({ provider, model, direction: 'reasoning' }, u.reasoningTokens);
    m.llmCost.inc({ provider, model, operation }, usd(e.costPico));
    if (e.outcome === 'success' && e.premium && e.premium.costPico > e.costPico) m.llmSaved.inc({ provider, model }, usd(e.premium.costPico - e.costPico));
  }

  onLimiter(e: LimiterOutcome): void {
    const m = this.metrics;
    const provider = m.providers.of(e.providerId);
    const model = m.models.of(e.modelId);
    m.limiterPasses.inc({ provider, model, result: e.acquired ? 'acquired' : `refused_${e.reason ?? 'unknown'}` });
    m.limiterWait.observe({ provider, model }, e.waitedMs / 1000);
  }

  onItem(status: string, cached: boolean): void {
    this.metrics.items.inc({ status });
    if (status === 'completed') this.metrics.cacheLookups.inc({ result: cached ? 'hit' : 'miss' });
  }
}
