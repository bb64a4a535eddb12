import { Injectable } from '@nestjs/common';
import { Clock } from '@margin/core';
import type { ModelInfo } from '../llm-provider';
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
  private readonly cache = new Map<string, { status: ProviderStatus; at: number; key: string }>();
  private readonly inflight = new Map<string, Promise<ProviderStatus>>();

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly clock: Clock,
  ) {}

  async status(id: string): Promise<ProviderStatus> {
    const entry = this.registry.find(id);
    if (!entry) return { healthy: false, emulated: false, latencyMs: null, error: 'unknown provider', models: [], checkedAt: null };
    if (!entry.adapter) return { healthy: false, emulated: false, latencyMs: null, error: entry.error, models: [], checkedAt: null };
    // A re-pointed provider must not show the old host's health.
    const key = `${entry.config.kind}|${entry.config.baseUrl}|${entry.config.updatedAt.getTime()}`;
    const cached = this.cache.get(id);
    if (cached && cached.key === key && this.clock.now().getTime() - cached.at < FRESH_MS) return cached.status;
    const running = this.inflight.get(id);
    if (running) return running;
    const adapter = entry.adapter;
    const probe = (async (): Promise<ProviderStatus> => {
      const health = await adapter.health({ timeoutMs: PROBE_TIMEOUT_MS });
      const models = health.healthy ? await adapter.listModels({ timeoutMs: PROBE_TIMEOUT_MS }).catch(() => []) : [];
      const status: ProviderStatus = {
        healthy: health.healthy,
        emulated: health.emulated,
        latencyMs: health.latencyMs,
        error: health.error ?? null,
        models,
        checkedAt: this.clock.now(),
      };
      this.cache.set(id, { status, at: this.clock.now().getTime(), key });
      return status;
    })().finally(() => this.inflight.delete(id));
    this.inflight.set(id, probe);
    return probe;
  }
}
