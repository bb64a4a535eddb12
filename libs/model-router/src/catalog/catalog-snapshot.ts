import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ChangeFeed } from '@margin/core';
import { CatalogRepository } from './catalog.repository';
import type { ModelPriceEntity } from './model-price.entity';
import type { ModelEntity } from './model.entity';

const TOPIC = 'catalog';
const REFRESH_MS = 30_000;

/**
 * The catalog in memory (it is small and read on every call to route and price it), reloaded in every
 * process when any process changes it, and every 30 s in case a change message was missed.
 */
@Injectable()
export class CatalogSnapshot implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CatalogSnapshot.name);
  private models = new Map<string, ModelEntity>();
  /** Per model, newest first. */
  private prices = new Map<string, ModelPriceEntity[]>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repo: CatalogRepository,
    private readonly changes: ChangeFeed,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    await this.changes.subscribe(TOPIC, () => void this.reload().catch((err: Error) => this.logger.error(`reload failed: ${err.message}`)));
    this.timer = setInterval(() => void this.reload().catch(() => undefined), REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async reload(): Promise<void> {
    const [models, prices] = await Promise.all([this.repo.listModels(), this.repo.listPrices()]);
    const byModel = new Map<string, ModelPriceEntity[]>();
    for (const p of prices) byModel.set(p.modelId, [...(byModel.get(p.modelId) ?? []), p]);
    for (const list of byModel.values()) list.sort((a, b) => b.effectiveFrom.getTime() - a.effectiveFrom.getTime());
    this.models = new Map(models.map((m) => [m.id, m]));
    this.prices = byModel;
  }

  async announceChange(): Promise<void> {
    await this.reload();
    await this.changes.publish(TOPIC);
  }

  allModels(): ModelEntity[] {
    return [...this.models.values()];
  }

  model(id: string): ModelEntity | undefined {
    return this.models.get(id);
  }

  priceHistory(id: string): ModelPriceEntity[] {
    return this.prices.get(id) ?? [];
  }

  /** The price in force at `at`: the latest that took effect at or before it. */
  priceAt(id: string, at: Date): ModelPriceEntity | undefined {
    return this.priceHistory(id).find((p) => p.effectiveFrom.getTime() <= at.getTime());
  }
}
