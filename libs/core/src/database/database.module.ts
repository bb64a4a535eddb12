import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MixedList } from 'typeorm';
import { AppConfig, DEFAULT_DATABASE_POOL, type DatabasePoolSettings } from '../config/app-config';

/**
 * Shared TypeORM options: schema changes only ever go through migrations. Every pool wait has a deadline
 * (`connectionTimeoutMillis`: a request that cannot get a connection fails with 503 instead of hanging), and
 * Postgres itself ends a statement that runs too long and a session left idle inside a transaction, so that
 * no bug or stalled client can pin a connection for good.
 */
export function postgresOptions(url: string, pool: DatabasePoolSettings = DEFAULT_DATABASE_POOL) {
  return {
    type: 'postgres' as const,
    url,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    extra: {
      max: pool.poolSize,
      connectionTimeoutMillis: pool.acquireTimeoutMs,
      // node-postgres sends these as startup parameters of every connection (0 leaves Postgres' default: none)
      statement_timeout: pool.statementTimeoutMs,
      idle_in_transaction_session_timeout: pool.idleInTransactionTimeoutMs,
    },
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
            ...postgresOptions(config.databaseUrl, config.database),
            autoLoadEntities: true,
            migrations: options.migrations as never,
          }),
        }),
      ],
    };
  }
}
