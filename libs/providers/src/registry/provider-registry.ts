import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ChangeFeed, OutboundPolicy, SecretBox } from '@margin/core';
import { guardedFetch } from '@margin/core';
import { createProvider } from '../create-provider';
import type { LlmProvider } from '../llm-provider';
import type { ProviderConfigEntity } from './provider-config.entity';
import { ProviderConfigRepository } from './provider-config.repository';

const TOPIC = 'providers';
const REFRESH_MS = 30_000;

export interface RegisteredProvider {
  config: ProviderConfigEntity;
  /** Absent when the stored key cannot be decrypted (ENCRYPTION_KEY changed): the provider is unusable. */
  adapter: LlmProvider | null;
  error: string | null;
}

/**
 * The live set of provider adapters, built from the `providers` table. Every API and worker process holds
 * one; a change anywhere is announced on Redis so that all of them rebuild at once.
 */
@Injectable()
export class ProviderRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ProviderRegistry.name);
  private providers = new Map<string, RegisteredProvider>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repo: ProviderConfigRepository,
    private readonly secrets: SecretBox,
    private readonly changes: ChangeFeed,
    outbound: OutboundPolicy,
  ) {
    this.adminFetch = guardedFetch(outbound);
  }

  /** Providers an admin added connect only where the outbound policy allows; the environment's are trusted as configured. */
  private readonly adminFetch: typeof fetch;

  async onModuleInit(): Promise<void> {
    await this.reload();
    await this.changes.subscribe(TOPIC, () => void this.reload().catch((err: Error) => this.logger.error(`reload failed: ${err.message}`)));
    // A missed message (Redis restart) heals within the refresh interval.
    this.timer = setInterval(() => void this.reload().catch(() => undefined), REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async reload(): Promise<void> {
    const rows = await this.repo.listWithKeys();
    const next = new Map<string, RegisteredProvider>();
    for (const row of rows) {
      const { apiKeyEncrypted, ...config } = row;
      try {
        const apiKey = apiKeyEncrypted ? this.secrets.decrypt(apiKeyEncrypted) : undefined;
        const adapter = createProvider(
          { id: row.id, kind: row.kind, baseUrl: row.baseUrl, apiKey, keepAlive: row.options?.keepAlive },
          row.managedBy === 'env' ? {} : { fetch: this.adminFetch },
        );
        next.set(row.id, { config: config as ProviderConfigEntity, adapter, error: null });
      } catch (err) {
        this.logger.error(`provider ${row.id} is unusable: ${(err as Error).message}`);
        next.set(row.id, { config: config as ProviderConfigEntity, adapter: null, error: (err as Error).message });
      }
    }
    this.providers = next;
  }

  /** Rebuild here and tell every other process to do the same. */
  async announceChange(): Promise<void> {
    await this.reload();
    await this.changes.publish(TOPIC);
  }

  list(): RegisteredProvider[] {
    return [...this.providers.values()];
  }

  find(id: string): RegisteredProvider | undefined {
    return this.providers.get(id);
  }

  /** An enabled, usable adapter, or undefined. */
  adapter(id: string): LlmProvider | undefined {
    const entry = this.providers.get(id);
    return entry?.config.enabled && entry.adapter ? entry.adapter : undefined;
  }
}
