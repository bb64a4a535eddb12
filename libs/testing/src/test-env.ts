import { loadConfig, type AppConfig } from '@margin/core';

// Fixed, obviously-fake secrets: test processes must never need real ones.
const TEST_JWT_SECRET = 'test-only-jwt-secret-0123456789abcdef';
const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_test';
/** A Redis database of its own (15), so tests never see a developer's queues. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

/** The environment a test process of Margin runs with; overrides win. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RATE_LIMIT_PER_MINUTE: '100000',
    ALLOW_SIGNUP: 'true',
    ADMIN_DIST_DIR: '/nonexistent-admin-dist',
    ...overrides,
  };
}

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig(testEnv(overrides));
}
