import { Injectable, Logger } from '@nestjs/common';
import type { CreateProviderRequest, ProviderView, UpdateProviderRequest } from '@margin/contracts';
import { ConflictError, NotFoundError, OutboundPolicy, SecretBox } from '@margin/core';
import { ProviderConfigRepository } from './provider-config.repository';
import { ProviderHealthService } from './provider-health.service';
import { ProviderRegistry } from './provider-registry';

/** A probe's failure in a word or two (unreachable, timed out, HTTP 401…), whatever the network said. */
export function probeFailure(error: string | null): string | null {
  if (error === null || error === 'disabled') return error;
  if (/EOUTBOUNDREFUSED|may not reach|not allowed/i.test(error)) return 'refused by the outbound policy';
  if (/timed? ?out|timeout|ETIMEDOUT|aborted/i.test(error)) return 'timed out';
  const http = /\b(?:HTTP|status)\s*(\d{3})\b/i.exec(error) ?? /^(\d{3})\b/.exec(error);
  if (http) return `HTTP ${http[1]}`;
  return 'unreachable';
}

@Injectable()
export class ProvidersService {
  private readonly logger = new Logger(ProvidersService.name);

  constructor(
    private readonly repo: ProviderConfigRepository,
    private readonly registry: ProviderRegistry,
    private readonly health: ProviderHealthService,
    private readonly secrets: SecretBox,
    private readonly outbound: OutboundPolicy,
  ) {}

  async list(): Promise<ProviderView[]> {
    return Promise.all(this.registry.list().map((p) => this.view(p.config.id)));
  }

  async view(id: string): Promise<ProviderView> {
    const entry = this.registry.find(id);
    if (!entry) throw new NotFoundError('Provider');
    const withKey = await this.repo.findByIdWithKey(id);
    const status = entry.config.enabled
      ? await this.health.status(id)
      : { healthy: false, emulated: false, latencyMs: null, error: 'disabled', models: [], checkedAt: null };
    const { config } = entry;
    return {
      id: config.id,
      kind: config.kind,
      name: config.name,
      baseUrl: config.baseUrl,
      enabled: config.enabled,
      managedBy: config.managedBy,
      hasApiKey: Boolean(withKey?.apiKeyEncrypted),
      healthy: status.healthy,
      emulated: status.emulated,
      latencyMs: status.latencyMs,
      // what kind of failure, not the socket's own words: those would make the probe a port scanner
      error: config.managedBy === 'env' ? status.error : probeFailure(status.error),
      models: status.models.map((m) => m.id),
      checkedAt: status.checkedAt?.toISOString() ?? null,
    };
  }

  async create(input: CreateProviderRequest): Promise<ProviderView> {
    this.outbound.assertAllowed('baseUrl', input.baseUrl);
    const inserted = await this.repo.insertIfAbsent({
      id: input.id,
      kind: input.kind,
      name: input.name,
      baseUrl: input.baseUrl,
      apiKeyEncrypted: input.apiKey ? this.secrets.encrypt(input.apiKey) : null,
      enabled: input.enabled ?? true,
      managedBy: 'admin',
      options: {},
    });
    if (!inserted) throw new ConflictError(`A provider with id "${input.id}" already exists`);
    this.logger.log({ providerId: input.id, kind: input.kind, baseUrl: input.baseUrl }, 'Provider added');
    await this.registry.announceChange();
    return this.view(input.id);
  }

  async update(id: string, patch: UpdateProviderRequest): Promise<ProviderView> {
    if (!(await this.repo.findById(id))) throw new NotFoundError('Provider');
    if (patch.baseUrl !== undefined) this.outbound.assertAllowed('baseUrl', patch.baseUrl);
    await this.repo.update(id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.baseUrl !== undefined ? { baseUrl: patch.baseUrl } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.apiKey !== undefined ? { apiKeyEncrypted: patch.apiKey === null ? null : this.secrets.encrypt(patch.apiKey) } : {}),
      managedBy: 'admin',
    });
    this.logger.log({ providerId: id, fields: Object.keys(patch) }, 'Provider changed');
    await this.registry.announceChange();
    return this.view(id);
  }
}
