import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from '@margin/core';
import Redis from 'ioredis';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
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
  options: { env?: Record<string, string>; listen?: boolean } = {},
): Promise<TestApp> {
  const config = testConfig(options.env);
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

/** Empties every table but the migration history, and the test Redis database: each file starts clean. */
export async function resetState(dataSource: DataSource, redisUrl: string): Promise<void> {
  const tables: { tablename: string }[] = await dataSource.query(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
  );
  if (tables.length) await dataSource.query(`TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}
