// The worker's own registry on METRICS_PORT: loopback by default, bearer-guarded like the API's, counting the
// LLM attempts this worker booked.
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LedgerService } from '@margin/cost-tracking';
import { makeTenant, testConfig } from '@margin/testing';
import { WorkerMetricsServer } from '@margin/metrics';
import IORedis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { WorkerModule } from '../src/worker.module';

describe('worker /metrics', () => {
  let app: INestApplicationContext;
  let base: string;

  beforeAll(async () => {
    const config = testConfig({ WORKER_CONCURRENCY: '1', METRICS_PORT: '0', METRICS_TOKEN: 'worker-metrics-token-42', METRICS_INSTANCE: 'worker-a' });
    const redis = new IORedis(config.redisUrl);
    await redis.flushdb();
    redis.disconnect();
    app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false });
    await app.init();
    const address = app.get(WorkerMetricsServer).address;
    if (!address) throw new Error('metrics server not listening');
    expect(address.address).toBe('127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => app.close());

  it('401 without the token, 404 elsewhere, and the worker-labelled registry with the attempts it booked', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/other`, { headers: { Authorization: 'Bearer worker-metrics-token-42' } })).status).toBe(404);
    const tenant = await makeTenant(app.get(DataSource));
    await app.get(LedgerService).record({
      attemptId: `w:${randomUUID()}`,
      tenantId: tenant.id,
      operation: 'analyze',
      providerId: 'ollama',
      modelId: 'ollama/llama3.1:8b',
      usage: { inputTokens: 120, cachedInputTokens: 0, outputTokens: 30, reasoningTokens: 0 },
      costPico: 0n,
      latencyMs: 250,
      outcome: 'success',
      at: new Date(),
    });
    const res = await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer worker-metrics-token-42' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(
      /margin_llm_calls_total\{provider="ollama",model="ollama\/llama3.1:8b",operation="analyze",outcome="success",process="worker",instance="worker-a"\} 1/,
    );
    expect(text).toMatch(/margin_llm_tokens_total\{provider="ollama",model="ollama\/llama3.1:8b",direction="input",process="worker",instance="worker-a"\} 120/);
    // deployment-wide gauges come from the API, never twice
    expect(text).not.toContain('margin_queue_jobs');
  });
});
