import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ProviderKind } from '@margin/contracts';
import { AppConfig, SecretBox } from '@margin/core';
import { ProviderConfigRepository } from './provider-config.repository';
import { ProviderRegistry } from './provider-registry';

interface EnvProvider {
  id: string;
  kind: ProviderKind;
  name: string;
  baseUrl: string;
  apiKey?: string;
  options: { keepAlive?: string };
}

/** The providers the environment describes (OLLAMA_BASE_URL, OPENAI_*, ANTHROPIC_*, OPENAI_COMPATIBLE_HOSTS). */
export function providersFromConfig(config: AppConfig): EnvProvider[] {
  const list: EnvProvider[] = [{ id: 'ollama', kind: 'ollama', name: 'Ollama (local GPU)', baseUrl: config.ollamaBaseUrl, options: { keepAlive: '30m' } }];
  if (config.openaiApiKey || config.openaiBaseUrl) {
    list.push({
      id: 'openai',
      kind: 'openai',
      name: 'OpenAI',
      baseUrl: config.openaiBaseUrl ?? 'https://api.openai.com/v1',
      apiKey: config.openaiApiKey,
      options: {},
    });
  }
  if (config.anthropicApiKey || config.anthropicBaseUrl) {
    list.push({
      id: 'anthropic',
      kind: 'anthropic',
      name: 'Anthropic',
      baseUrl: config.anthropicBaseUrl ?? 'https://api.anthropic.com',
      apiKey: config.anthropicApiKey,
      options: {},
    });
  }
  for (const host of config.openaiCompatibleHosts) {
    list.push({ id: host.id, kind: 'openai', name: host.name ?? host.id, baseUrl: host.baseUrl, apiKey: host.apiKey, options: {} });
  }
  return list;
}

/**
 * At start-up, brings the `providers` table in line with the environment: new providers are added, and
 * providers still managed by the environment follow it. One an admin changed through the API is left alone.
 */
@Injectable()
export class ProviderSyncService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ProviderSyncService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly repo: ProviderConfigRepository,
    private readonly secrets: SecretBox,
    private readonly registry: ProviderRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sync();
  }

  async sync(): Promise<void> {
    let changed = false;
    for (const p of providersFromConfig(this.config)) {
      const sealed = p.apiKey ? this.secrets.encrypt(p.apiKey) : null;
      const inserted = await this.repo.insertIfAbsent({ ...p, apiKeyEncrypted: sealed, enabled: true, managedBy: 'env' });
      if (inserted) {
        this.logger.log({ providerId: p.id, kind: p.kind, baseUrl: p.baseUrl }, 'Provider added from the environment');
        changed = true;
        continue;
      }
      const current = await this.repo.findByIdWithKey(p.id);
      if (!current) continue;
      const currentKey = current.apiKeyEncrypted ? this.safeDecrypt(current.apiKeyEncrypted) : undefined;
      const differs = current.baseUrl !== p.baseUrl || current.kind !== p.kind || currentKey !== p.apiKey;
      if (!differs) continue;
      if (current.managedBy === 'admin') {
        this.logger.warn({ providerId: p.id }, 'The environment describes this provider differently, but an admin changed it: keeping the admin settings');
        continue;
      }
      await this.repo.update(p.id, { kind: p.kind, baseUrl: p.baseUrl, apiKeyEncrypted: sealed, options: p.options });
      this.logger.log({ providerId: p.id, baseUrl: p.baseUrl }, 'Provider updated from the environment');
      changed = true;
    }
    if (changed) await this.registry.announceChange();
  }

  private safeDecrypt(sealed: string): string | undefined {
    try {
      return this.secrets.decrypt(sealed);
    } catch {
      return undefined;
    }
  }
}
