import { Injectable } from '@nestjs/common';
import { Clock, ttlCache } from '@margin/core';
import type { LlmProvider, ModelInfo } from '../llm-provider';
import { ProviderRegistry } from './provider-registry';

export interface ProviderStatus {
  healthy: boolean;
  emulated: boolean;
  latencyMs: number | null;
  error: string | null;
  models: ModelInfo[];
  checkedAt: Date | null;
}

const FRESH_MS = 10_000;
const PROBE_TIMEOUT_MS = 3_000;

/** Probes providers (health + model list) at most every few seconds; concurrent callers share one probe. */
@Injectable()
export class ProviderHealthService {
  /** Keyed by the provider's id and address, so that a re-pointed provider never shows the old host's health. */
  private readonly cache = ttlCache<string, ProviderStatus, LlmProvider>({
    max: 1000,
    ttlMs: FRESH_MS,
    clock: this.clock,
    fetchMethod: (_key, _stale, { context }) => this.probe(context),
  });

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly clock: Clock,
  ) {}

  async status(id: string): Promise<ProviderStatus> {
    const entry = this.registry.find(id);
    if (!entry) return { healthy: false, emulated: false, latencyMs: null, error: 'unknown provider', models: [], checkedAt: null };
    if (!entry.adapter) return { healthy: false, emulated: false, latencyMs: null, error: entry.error, models: [], checkedAt: null };
    const key = `${id}|${entry.config.kind}|${entry.config.baseUrl}|${entry.config.updatedAt.getTime()}`;
    return this.cache.forceFetch(key, { context: entry.adapter });
  }

  private async probe(adapter: LlmProvider): Promise<ProviderStatus> {
    const health = await adapter.health({ timeoutMs: PROBE_TIMEOUT_MS });
    const models = health.healthy ? await adapter.listModels({ timeoutMs: PROBE_TIMEOUT_MS }).catch(() => []) : [];
    return {
      healthy: health.healthy,
      emulated: health.emulated,
      latencyMs: health.latencyMs,
      error: health.error ?? null,
      models,
      checkedAt: this.clock.now(),
    };
  }
}
