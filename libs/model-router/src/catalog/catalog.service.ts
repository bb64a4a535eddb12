import { Injectable, Logger } from '@nestjs/common';
import type { ModelPriceView, ModelView, UpdateModelRequest } from '@margin/contracts';
import { Clock, DomainError, NotFoundError, usdToPico, picoToDecimal } from '@margin/core';
import { CatalogRepository } from './catalog.repository';
import { costOf, type CostBreakdown, type CostUsage } from './cost';
import type { ModelPriceEntity } from './model-price.entity';
import type { ModelEntity } from './model.entity';

export class PriceInPastError extends DomainError {
  readonly code = 'price_in_past';
  readonly httpStatus = 422;
  constructor() {
    super('price.effectiveFrom cannot be in the past: past calls keep the price they ran at');
  }
}

export class NoPriceError extends DomainError {
  readonly code = 'no_price';
  readonly httpStatus = 422;
  constructor(modelId: string, at: Date) {
    super(`Model ${modelId} has no price in force at ${at.toISOString()}`);
  }
}

/** Exact decimal string for a JSON number with at most 6 decimals (validated by the DTO). */
function usdString(n: number): string {
  return picoToDecimal(usdToPico(n.toFixed(6)));
}

function priceView(p: ModelPriceEntity): ModelPriceView {
  return {
    inputPerMTok: Number(p.inputUsdPerMTok),
    cachedInputPerMTok: Number(p.cachedInputUsdPerMTok),
    outputPerMTok: Number(p.outputUsdPerMTok),
    effectiveFrom: p.effectiveFrom.toISOString(),
  };
}

@Injectable()
export class CatalogService {
  private readonly logger = new Logger(CatalogService.name);

  constructor(
    private readonly repo: CatalogRepository,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<ModelView[]> {
    const [models, prices] = await Promise.all([this.repo.listModels(), this.repo.listPrices()]);
    return models.map((m) => this.view(m, prices.filter((p) => p.modelId === m.id)));
  }

  async get(id: string): Promise<ModelView> {
    const model = await this.repo.findModel(id);
    if (!model) throw new NotFoundError('Model');
    const prices = (await this.repo.listPrices()).filter((p) => p.modelId === id);
    return this.view(model, prices);
  }

  async update(id: string, patch: UpdateModelRequest): Promise<ModelView> {
    const model = await this.repo.findModel(id);
    if (!model) throw new NotFoundError('Model');
    if (patch.price) {
      const now = this.clock.now();
      const effectiveFrom = patch.price.effectiveFrom ? new Date(patch.price.effectiveFrom) : now;
      // A second of slack for clocks; anything earlier would reprice calls that already ran.
      if (effectiveFrom.getTime() < now.getTime() - 1000) throw new PriceInPastError();
      await this.repo.addPrice({
        modelId: id,
        inputUsdPerMTok: usdString(patch.price.inputPerMTok),
        cachedInputUsdPerMTok: usdString(patch.price.cachedInputPerMTok ?? patch.price.inputPerMTok),
        outputUsdPerMTok: usdString(patch.price.outputPerMTok),
        effectiveFrom,
      });
      this.logger.log({ modelId: id, effectiveFrom: effectiveFrom.toISOString() }, 'New model price');
    }
    await this.repo.updateModel(id, {
      ...(patch.tier !== undefined ? { tier: patch.tier } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.contextWindow !== undefined ? { contextWindow: patch.contextWindow } : {}),
      ...(patch.parallelSlots !== undefined ? { parallelSlots: patch.parallelSlots } : {}),
      ...(patch.gpuUsdPerHour !== undefined ? { gpuUsdPerHour: patch.gpuUsdPerHour === null ? null : usdString(patch.gpuUsdPerHour) } : {}),
    });
    return this.get(id);
  }

  /**
   * The exact cost of a call on `modelId` that ran at `at`, at the price in force then. Local models with a
   * GPU-hour rate also pay for the call's share of GPU time.
   */
  async costOf(modelId: string, usage: CostUsage, at: Date, latencyMs = 0): Promise<CostBreakdown> {
    const [model, price] = await Promise.all([this.repo.findModel(modelId), this.repo.priceAt(modelId, at)]);
    if (!model) throw new NotFoundError('Model');
    if (!price) throw new NoPriceError(modelId, at);
    const gpu = model.tier === 'local' && model.gpuUsdPerHour !== null
      ? { usdPerHour: model.gpuUsdPerHour, parallelSlots: model.parallelSlots, latencyMs }
      : undefined;
    return costOf(price, usage, gpu);
  }

  private view(m: ModelEntity, prices: ModelPriceEntity[]): ModelView {
    const now = this.clock.now().getTime();
    const sorted = [...prices].sort((a, b) => b.effectiveFrom.getTime() - a.effectiveFrom.getTime());
    const current = sorted.find((p) => p.effectiveFrom.getTime() <= now);
    return {
      id: m.id,
      providerId: m.providerId,
      name: m.name,
      tier: m.tier,
      contextWindow: m.contextWindow,
      capabilities: m.capabilities,
      enabled: m.enabled,
      gpuUsdPerHour: m.gpuUsdPerHour === null ? null : Number(m.gpuUsdPerHour),
      parallelSlots: m.parallelSlots,
      price: current ? priceView(current) : null,
      priceHistory: sorted.map(priceView),
    };
  }
}
