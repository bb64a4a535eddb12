import type { INestApplication } from '@nestjs/common';
import { postgresOptions, type AppConfig } from '@margin/core';
import Redis from 'ioredis';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource, type MigrationInterface } from 'typeorm';
import { testConfig } from './test-env';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  http: TestAgent;
  dataSource: DataSource;
  /** Base URL when started with `listen: true` (socket tests, SDKs). */
  url?: string;
  close(): Promise<void>;
}

/**
 * Boots the real application (the factory main.ts uses) against the test database and test Redis.
 * Libraries cannot import apps, so the caller passes the app's factory.
 */
export async function startTestApp(
  factory: (config: AppConfig) => Promise<INestApplication>,
  options: { env?: Record<string, string>; listen?: boolean; migrations?: MigrationList } = {},
): Promise<TestApp> {
  const config = testConfig(options.env);
  if (options.migrations) await resetState(config, options.migrations);
  const app = await factory(config);
  await app.init();
  let url: string | undefined;
  if (options.listen) {
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    url = `http://127.0.0.1:${address.port}`;
  }
  return {
    app,
    config,
    http: request(app.getHttpServer()),
    dataSource: app.get(DataSource),
    url,
    close: () => app.close(),
  };
}

export type MigrationList = Array<new () => MigrationInterface>;

/**
 * The test database exactly as the migrations alone make it (seeded reference data included), and an empty
 * test Redis database: each test app starts from the same state, whatever ran before it.
 */
export async function resetState(config: AppConfig, migrations: MigrationList): Promise<void> {
  const dataSource = new DataSource({ ...postgresOptions(config.databaseUrl), migrations });
  await dataSource.initialize();
  try {
    await dataSource.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await dataSource.destroy();
  }
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}
