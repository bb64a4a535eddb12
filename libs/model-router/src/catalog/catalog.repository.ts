import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ModelPriceEntity } from './model-price.entity';
import { ModelEntity } from './model.entity';

/** The catalog is installation-wide, so these queries are not tenant-scoped by design. */
@Injectable()
export class CatalogRepository {
  constructor(
    @InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>,
    @InjectRepository(ModelPriceEntity) private readonly prices: Repository<ModelPriceEntity>,
  ) {}

  listModels(): Promise<ModelEntity[]> {
    return this.models.find({ order: { tier: 'ASC', id: 'ASC' } });
  }

  findModel(id: string): Promise<ModelEntity | null> {
    return this.models.findOneBy({ id });
  }

  async updateModel(
    id: string,
    patch: Partial<Pick<ModelEntity, 'tier' | 'enabled' | 'contextWindow' | 'gpuUsdPerHour' | 'parallelSlots' | 'rpm' | 'tpm' | 'maxConcurrency'>>,
  ): Promise<void> {
    if (Object.keys(patch).length) await this.models.update({ id }, patch);
  }

  /** Every price of every model, newest first (the catalog is small). */
  listPrices(): Promise<ModelPriceEntity[]> {
    return this.prices.find({ order: { effectiveFrom: 'DESC' } });
  }

  /** A new model with its first price, both or neither. False when a model with its id exists already. */
  async insertModel(
    model: Omit<ModelEntity, 'createdAt' | 'updatedAt'>,
    price: Pick<ModelPriceEntity, 'inputUsdPerMTok' | 'cachedInputUsdPerMTok' | 'outputUsdPerMTok' | 'effectiveFrom'>,
  ): Promise<boolean> {
    return this.models.manager.transaction(async (m) => {
      const inserted = await m.createQueryBuilder().insert().into(ModelEntity).values(model).orIgnore().returning(['id']).execute();
      if (inserted.raw.length === 0) return false;
      await m.insert(ModelPriceEntity, { ...price, modelId: model.id });
      return true;
    });
  }

  async addPrice(
    row: Pick<
      ModelPriceEntity,
      | 'modelId'
      | 'inputUsdPerMTok'
      | 'cachedInputUsdPerMTok'
      | 'outputUsdPerMTok'
      | 'batchInputUsdPerMTok'
      | 'batchCachedInputUsdPerMTok'
      | 'batchOutputUsdPerMTok'
      | 'effectiveFrom'
    >,
  ): Promise<void> {
    await this.prices.insert(row);
  }
}
