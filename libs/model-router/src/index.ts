export * from './model-router.module';
export * from './catalog/cost';
export { CatalogService, NoPriceError, PriceInPastError } from './catalog/catalog.service';
import { ModelCatalog1763800000100 } from './migrations/1763800000100-model-catalog';

export const MODEL_ROUTER_MIGRATIONS = [ModelCatalog1763800000100];
