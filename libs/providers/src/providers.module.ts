import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProviderConfigEntity } from './registry/provider-config.entity';
import { ProviderConfigRepository } from './registry/provider-config.repository';
import { ProviderHealthService } from './registry/provider-health.service';
import { ProviderRegistry } from './registry/provider-registry';
import { ProviderSyncService } from './registry/provider-sync.service';
import { ProvidersController } from './registry/providers.controller';
import { ProvidersService } from './registry/providers.service';

/** Adapters built from the `providers` table; usable by any process (the worker calls models through it). */
@Module({
  imports: [TypeOrmModule.forFeature([ProviderConfigEntity])],
  providers: [ProviderConfigRepository, ProviderRegistry, ProviderHealthService],
  exports: [ProviderConfigRepository, ProviderRegistry, ProviderHealthService],
})
export class ProvidersCoreModule {}

/** HTTP side: the router's provider endpoints, and syncing the environment's providers at start-up. */
@Module({
  imports: [ProvidersCoreModule],
  controllers: [ProvidersController],
  providers: [ProvidersService, ProviderSyncService],
  exports: [ProvidersCoreModule, ProvidersService],
})
export class ProvidersModule {}
