import { Injectable } from '@nestjs/common';
import type { JobSettingsView } from '@margin/contracts';
import { ttlCache } from '@margin/core';
import { JobSettingsRepository } from './job-settings.repository';

/** Items wait this long for providers to come back when neither the job nor its tenant says otherwise: a day. */
export const DEFAULT_MAX_WAIT_SECONDS = 86_400;
/** A worker reads a tenant's default at most this often (an owner's edit reaches running jobs within it). */
const TTL_MS = 30_000;

@Injectable()
export class JobSettingsService {
  private readonly cache = ttlCache<string, number>({ max: 10_000, ttlMs: TTL_MS });

  constructor(private readonly repo: JobSettingsRepository) {}

  private readonly deferrables = ttlCache<string, boolean>({ max: 10_000, ttlMs: TTL_MS });

  async get(tenantId: string): Promise<JobSettingsView> {
    return { maxWaitSeconds: (await this.repo.maxWaitSeconds(tenantId)) ?? DEFAULT_MAX_WAIT_SECONDS, deferrable: await this.repo.deferrable(tenantId) };
  }

  async update(tenantId: string, patch: { maxWaitSeconds?: number; deferrable?: boolean }): Promise<JobSettingsView> {
    if (patch.maxWaitSeconds !== undefined) await this.repo.setMaxWaitSeconds(tenantId, patch.maxWaitSeconds);
    if (patch.deferrable !== undefined) await this.repo.setDeferrable(tenantId, patch.deferrable);
    this.cache.delete(tenantId);
    this.deferrables.delete(tenantId);
    return this.get(tenantId);
  }

  /** Whether the tenant's jobs that do not say are deferrable (may use the batch tier); cached briefly. */
  async deferrable(tenantId: string): Promise<boolean> {
    const hit = this.deferrables.get(tenantId);
    if (hit !== undefined) return hit;
    const value = await this.repo.deferrable(tenantId);
    this.deferrables.set(tenantId, value);
    return value;
  }

  /** The job's patience: its own, else its tenant's default (cached briefly: read on every wait). */
  async patienceSeconds(tenantId: string, jobMaxWaitSeconds: number | null): Promise<number> {
    if (jobMaxWaitSeconds !== null) return jobMaxWaitSeconds;
    const hit = this.cache.get(tenantId);
    if (hit !== undefined) return hit;
    const seconds = (await this.repo.maxWaitSeconds(tenantId)) ?? DEFAULT_MAX_WAIT_SECONDS;
    this.cache.set(tenantId, seconds);
    return seconds;
  }
}
