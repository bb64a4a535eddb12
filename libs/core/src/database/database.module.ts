import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MixedList } from 'typeorm';
import { AppConfig } from '../config/app-config';

/** Shared TypeORM options: schema changes only ever go through migrations. */
export function postgresOptions(url: string) {
  return {
    type: 'postgres' as const,
    url,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    extra: { max: 10 },
  };
}

@Module({})
export class DatabaseModule {
  /** Entities register themselves through TypeOrmModule.forFeature in each domain module. */
  static forRoot(options: { migrations?: MixedList<string | (new () => unknown)> } = {}): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...postgresOptions(config.databaseUrl),
            autoLoadEntities: true,
            migrations: options.migrations as never,
          }),
        }),
      ],
    };
  }
}
