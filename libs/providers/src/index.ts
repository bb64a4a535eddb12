export * from './llm-provider';
export * from './provider-errors';
export * from './providers.module';
export { ProviderRegistry, type RegisteredProvider } from './registry/provider-registry';
export { ProviderHealthService, type ProviderStatus } from './registry/provider-health.service';
export { providersFromConfig } from './registry/provider-sync.service';
export { ProvidersService } from './registry/providers.service';
export { createProvider } from './create-provider';
import { Providers1763800000000 } from './migrations/1763800000000-providers';

export const PROVIDERS_MIGRATIONS = [Providers1763800000000];
