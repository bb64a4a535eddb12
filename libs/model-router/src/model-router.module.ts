import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CatalogController } from './catalog/catalog.controller';
import { CatalogRepository } from './catalog/catalog.repository';
import { CatalogService } from './catalog/catalog.service';
import { ModelPriceEntity } from './catalog/model-price.entity';
import { ModelEntity } from './catalog/model.entity';

/** The catalog and pricing, for any process. */
@Module({
  imports: [TypeOrmModule.forFeature([ModelEntity, ModelPriceEntity])],
  providers: [CatalogRepository, CatalogService],
  exports: [CatalogService],
})
export class ModelRouterCoreModule {}

/** HTTP side: the catalog endpoints. */
@Module({
  imports: [ModelRouterCoreModule],
  controllers: [CatalogController],
  exports: [ModelRouterCoreModule],
})
export class ModelRouterModule {}
