import { Injectable, Logger } from '@nestjs/common';
import { MODEL_TIERS, type ModelPriceView, type ModelView, type RegisterModelRequest, type UpdateModelRequest } from '@margin/contracts';

const TIER_ORDER: readonly string[] = MODEL_TIERS;
import { Clock, ConflictError, DomainError, NotFoundError, usdToPico, picoToDecimal } from '@margin/core';
import { CatalogRepository } from './catalog.repository';
import { CatalogSnapshot } from './catalog-snapshot';
import { costOf, type CostBreakdown, type CostUsage, type Price } from './cost';
import { fineTunedNameProblem } from './fine-tuned';
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

/** A catalog write the catalog cannot take, every problem named by its field (400). */
export class InvalidModelError extends DomainError {
  readonly code = 'invalid_model';
  readonly httpStatus = 400;
  constructor(override readonly details: string[]) {
    super(details.join('; '));
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
    private readonly snapshot: CatalogSnapshot,
    private readonly clock: Clock,
  ) {}

  list(): ModelView[] {
    return this.snapshot
      .allModels()
      .sort((a, b) => TIER_ORDER.indexOf(a.tier) - TIER_ORDER.indexOf(b.tier) || a.id.localeCompare(b.id))
      .map((m) => this.view(m, this.snapshot.priceHistory(m.id)));
  }

  get(id: string): ModelView {
    const model = this.snapshot.model(id);
    if (!model) throw new NotFoundError('Model');
    return this.view(model, this.snapshot.priceHistory(id));
  }

  model(id: string): ModelEntity | undefined {
    return this.snapshot.model(id);
  }

  allModels(): ModelEntity[] {
    return this.snapshot.allModels();
  }

  priceAt(id: string, at: Date): ModelPriceEntity | undefined {
    return this.snapshot.priceAt(id, at);
  }

  /**
   * Adds a fine-tuned model served by its base's provider: capabilities from the base, and tier, context window,
   * GPU rate, slots, limits and price too unless given. The price takes effect now (calls before it never ran).
   */
  async registerFineTuned(request: RegisterModelRequest): Promise<ModelView> {
    const base = await this.repo.findModel(request.baseModel);
    if (!base) throw new InvalidModelError([`baseModel: unknown model "${request.baseModel}"`]);
    const problem = fineTunedNameProblem(base.providerId, base.name, request.name);
    if (problem) throw new InvalidModelError([`name: ${problem}`]);
    const now = this.clock.now();
    const basePrice = this.snapshot.priceAt(base.id, now);
    const price = request.price
      ? {
          inputUsdPerMTok: usdString(request.price.inputPerMTok),
          cachedInputUsdPerMTok: usdString(request.price.cachedInputPerMTok ?? request.price.inputPerMTok),
          outputUsdPerMTok: usdString(request.price.outputPerMTok),
        }
      : basePrice
        ? { inputUsdPerMTok: basePrice.inputUsdPerMTok, cachedInputUsdPerMTok: basePrice.cachedInputUsdPerMTok, outputUsdPerMTok: basePrice.outputUsdPerMTok }
        : null;
    if (!price) throw new InvalidModelError([`price: the base model ${base.id} has no price in force to inherit; give one`]);
    const id = `${base.providerId}/${request.name}`;
    const inserted = await this.repo.insertModel(
      {
        id,
        providerId: base.providerId,
        name: request.name,
        tier: request.tier ?? base.tier,
        contextWindow: request.contextWindow ?? base.contextWindow,
        capabilities: [...base.capabilities],
        enabled: request.enabled ?? true,
        gpuUsdPerHour: base.gpuUsdPerHour,
        parallelSlots: base.parallelSlots,
        rpm: base.rpm,
        tpm: base.tpm,
        maxConcurrency: base.maxConcurrency,
        batchQueueTokens: base.batchQueueTokens,
        baseModelId: base.id,
      },
      { ...price, effectiveFrom: now },
    );
    if (!inserted) throw new ConflictError(`Model ${id} is in the catalog already`);
    this.logger.log({ modelId: id, baseModel: base.id, priced: request.price ? 'given' : 'inherited' }, 'Fine-tuned model registered');
    await this.snapshot.announceChange();
    return this.get(id);
  }

  async update(id: string, patch: UpdateModelRequest): Promise<ModelView> {
    const model = await this.repo.findModel(id);
    if (!model) throw new NotFoundError('Model');
    if (patch.price) {
      const now = this.clock.now();
      const effectiveFrom = patch.price.effectiveFrom ? new Date(patch.price.effectiveFrom) : now;
      // A second of slack for clocks; anything earlier would reprice calls that already ran.
      if (effectiveFrom.getTime() < now.getTime() - 1000) throw new PriceInPastError();
      const input = usdString(patch.price.inputPerMTok);
      const cached = usdString(patch.price.cachedInputPerMTok ?? patch.price.inputPerMTok);
      const output = usdString(patch.price.outputPerMTok);
      // A model with a batch tier keeps it at the providers' half price of the new live price.
      const batched = this.batchPriceAt(id, now) !== undefined;
      const half = (usd: string): string => picoToDecimal(usdToPico(usd) / 2n);
      await this.repo.addPrice({
        modelId: id,
        inputUsdPerMTok: input,
        cachedInputUsdPerMTok: cached,
        outputUsdPerMTok: output,
        batchInputUsdPerMTok: batched ? half(input) : null,
        batchCachedInputUsdPerMTok: batched ? half(cached) : null,
        batchOutputUsdPerMTok: batched ? half(output) : null,
        effectiveFrom,
      });
      this.logger.log({ modelId: id, effectiveFrom: effectiveFrom.toISOString() }, 'New model price');
    }
    await this.repo.updateModel(id, {
      ...(patch.tier !== undefined ? { tier: patch.tier } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.contextWindow !== undefined ? { contextWindow: patch.contextWindow } : {}),
      ...(patch.parallelSlots !== undefined ? { parallelSlots: patch.parallelSlots } : {}),
      ...(patch.rpm !== undefined ? { rpm: patch.rpm } : {}),
      ...(patch.tpm !== undefined ? { tpm: patch.tpm } : {}),
      ...(patch.maxConcurrency !== undefined ? { maxConcurrency: patch.maxConcurrency } : {}),
      ...(patch.gpuUsdPerHour !== undefined ? { gpuUsdPerHour: patch.gpuUsdPerHour === null ? null : usdString(patch.gpuUsdPerHour) } : {}),
    });
    await this.snapshot.announceChange();
    return this.get(id);
  }

  /**
   * The exact cost of a call on `modelId` that ran at `at`, at the price in force then. Local models with a
   * GPU-hour rate also pay for the call's share of GPU time.
   */
  costOf(modelId: string, usage: CostUsage, at: Date, latencyMs = 0): CostBreakdown {
    const model = this.snapshot.model(modelId);
    const price = this.snapshot.priceAt(modelId, at);
    if (!model) throw new NotFoundError('Model');
    if (!price) throw new NoPriceError(modelId, at);
    const gpu =
      model.tier === 'local' && model.gpuUsdPerHour !== null ? { usdPerHour: model.gpuUsdPerHour, parallelSlots: model.parallelSlots, latencyMs } : undefined;
    return costOf(price, usage, gpu);
  }

  /** The batch tier's price in force at `at` (undefined: the model has no batch tier then). */
  batchPriceAt(id: string, at: Date): Price | undefined {
    const p = this.snapshot.priceAt(id, at);
    if (!p || p.batchInputUsdPerMTok === null || p.batchOutputUsdPerMTok === null) return undefined;
    return {
      inputUsdPerMTok: p.batchInputUsdPerMTok,
      cachedInputUsdPerMTok: p.batchCachedInputUsdPerMTok ?? p.batchInputUsdPerMTok,
      outputUsdPerMTok: p.batchOutputUsdPerMTok,
    };
  }

  /** The exact cost of a batch request that was submitted at `at`, at the batch price in force then. */
  batchCostOf(modelId: string, usage: CostUsage, at: Date): CostBreakdown {
    const price = this.batchPriceAt(modelId, at);
    if (!price) throw new NoPriceError(modelId, at);
    return costOf(price, usage);
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
      rpm: m.rpm,
      tpm: m.tpm,
      maxConcurrency: m.maxConcurrency,
      price: current ? priceView(current) : null,
      priceHistory: sorted.map(priceView),
      baseModel: m.baseModelId,
    };
  }
}
