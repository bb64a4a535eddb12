import { Injectable } from '@nestjs/common';
import type { AnalyzeResponse } from '@margin/contracts';
import { Clock, NotFoundError, picoToUsd } from '@margin/core';
import { TenantRepository, type Principal } from '@margin/identity';
import { randomUUID } from 'node:crypto';
import { AnalysisCacheService, cacheScope } from '../cache/analysis-cache.service';
import { inputHash } from '../cache/canonical';
import { PipelineRunner } from '../pipeline/pipeline-runner';
import { parseProfileRef, ProfilesService } from '../profiles/profiles.service';
import { QuotaService } from '../quotas/quota.service';
import { InvalidItemsError, validateItems } from './item-input';

/** POST /analyze: one item, on demand, answered in the request — from the cache when it can be. */
@Injectable()
export class AnalyzeService {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly cache: AnalysisCacheService,
    private readonly pipeline: PipelineRunner,
    private readonly quotas: QuotaService,
    private readonly tenants: TenantRepository,
    private readonly clock: Clock,
  ) {}

  async analyze(principal: Principal, ref: string, input: Record<string, unknown>): Promise<AnalyzeResponse> {
    const started = performance.now();
    const { key, version } = parseProfileRef(ref);
    const profile = await this.profiles.resolve(principal.tenantId, key, version);
    const problems = validateItems(profile.inputSchema, [input]);
    if (problems.length) throw new InvalidItemsError(problems.map((p) => p.replace(/^items\.0/, 'input')));
    const cacheKey = { profileKey: profile.key, profileVersion: profile.version, scope: cacheScope(profile.cacheScope, principal.tenantId), inputHash: inputHash(profile.key, profile.version, input) };
    const hit = await this.cache.lookup(cacheKey);
    if (hit) return { result: hit.output, cached: true, costUsd: 0, provider: hit.provider, model: hit.model, latencyMs: Math.round(performance.now() - started) };
    const tenant = await this.tenants.findById(principal.tenantId);
    if (!tenant) throw new NotFoundError('Tenant');
    const limits = await this.quotas.limits(tenant.plan);
    const { value, fromCache } = await this.cache.getOrCompute(cacheKey, async () => {
      const r = await this.pipeline.run(profile, input, {
        tenantId: principal.tenantId,
        userId: principal.userId,
        apiKeyId: principal.apiKeyId,
        attemptKey: `analyze:${randomUUID()}`,
        allowedTiers: limits.allowedTiers,
      });
      return { output: r.output, quality: r.quality, model: r.model, provider: r.provider, originalCostPico: r.costPico, emulated: r.emulated };
    });
    return {
      result: value.output,
      cached: fromCache,
      costUsd: fromCache ? 0 : picoToUsd(value.originalCostPico),
      provider: value.provider,
      model: value.model,
      latencyMs: Math.round(performance.now() - started),
    };
  }
}
