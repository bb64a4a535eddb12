// Single-flight against the real Postgres and Redis: two service instances stand for two worker processes.
import type { TestingModule } from '@nestjs/testing';
import { Test } from '@nestjs/testing';
import { ClockModule, ConfigModule, DatabaseModule, REDIS, RedisModule } from '@margin/core';
import { testConfig } from '@margin/testing';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AnalysisCacheRepository } from './analysis-cache.repository';
import { AnalysisCacheService, type CacheKey, type FreshAnalysis } from './analysis-cache.service';

const config = testConfig();

describe('AnalysisCacheService single-flight', () => {
  let modules: TestingModule[];
  let a: AnalysisCacheService;
  let b: AnalysisCacheService;
  let redis: Redis;

  beforeAll(async () => {
    modules = await Promise.all(
      [0, 1].map(() =>
        Test.createTestingModule({
          imports: [ConfigModule.forRoot(config), ClockModule.forRoot(), RedisModule, DatabaseModule.forRoot()],
          providers: [AnalysisCacheRepository, AnalysisCacheService],
        }).compile(),
      ),
    );
    [a, b] = modules.map((m) => m.get(AnalysisCacheService)) as [AnalysisCacheService, AnalysisCacheService];
    redis = modules[0]?.get<Redis>(REDIS) as Redis;
  });
  afterAll(async () => {
    for (const m of modules) await m.close();
  });

  const key = (): CacheKey => ({ profileKey: 'song-analysis', profileVersion: 1, scope: 'global', inputHash: randomUUID().replace(/-/g, '').padEnd(64, '0') });
  const fresh = (n: number): FreshAnalysis => ({
    output: { n },
    quality: null,
    model: 'ollama/qwen3:8b',
    provider: 'ollama',
    originalCostPico: 1_000_000n,
    counterfactualCostPico: 3_000_000n,
  });
  const lockKey = (k: CacheKey) => `margin:sf:${k.profileKey}:${k.profileVersion}:${k.scope}:${k.inputHash}`;

  it('concurrent identical misses in two processes run the computation once; the others reuse it', async () => {
    const k = key();
    let runs = 0;
    const compute = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 150));
      return fresh(runs);
    };
    const results = await Promise.all([a, b, a, b, a, b].map((svc) => svc.getOrCompute(k, compute)));
    expect(runs).toBe(1);
    expect(results.filter((r) => !r.fromCache)).toHaveLength(1);
    expect(results.every((r) => (r.value.output as { n: number }).n === 1)).toBe(true);
    // The lock stays behind marked done for a moment (so a late miss cannot run it again), then goes.
    expect(await redis.get(lockKey(k))).toBe('done');
    expect(await redis.pttl(lockKey(k))).toBeLessThanOrEqual(5_000);
  });

  it('a caller whose lookup missed just before the store cannot run it again', async () => {
    const k = key();
    await a.getOrCompute(k, async () => fresh(1));
    // b's lookup ran just before a's store (it missed); then b goes for the lock, which says done → b reads the entry.
    jest.spyOn(b, 'lookup').mockResolvedValueOnce(null);
    let ran = false;
    const late = await b.getOrCompute(k, async () => {
      ran = true;
      return fresh(2);
    });
    expect(ran).toBe(false);
    expect(late).toMatchObject({ fromCache: true, value: { output: { n: 1 } } });
  });

  it('a failed computation frees the key at once: the next caller runs it', async () => {
    const k = key();
    await expect(a.getOrCompute(k, async () => Promise.reject(new Error('model down')))).rejects.toThrow('model down');
    expect(await redis.exists(lockKey(k))).toBe(0);
    const again = await b.getOrCompute(k, async () => fresh(3));
    expect(again).toMatchObject({ fromCache: false, value: { output: { n: 3 } } });
  });

  describe('lockWithLookup (the lock tried with the lookup, one round trip less before a miss runs)', () => {
    const eager = { lockWithLookup: true };

    it('concurrent identical misses in two processes still run the computation once', async () => {
      const k = key();
      let runs = 0;
      const compute = async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 150));
        return fresh(runs);
      };
      const results = await Promise.all([a, b, a, b, a, b].map((svc) => svc.getOrCompute(k, compute, undefined, eager)));
      expect(runs).toBe(1);
      expect(results.filter((r) => !r.fromCache)).toHaveLength(1);
      expect(results.every((r) => (r.value.output as { n: number }).n === 1)).toBe(true);
      expect(await redis.get(lockKey(k))).toBe('done');
    });

    it('a hit gives the lock it took straight back (the key is not held) and runs nothing', async () => {
      const k = key();
      await a.getOrCompute(k, async () => fresh(1));
      await redis.del(lockKey(k)); // the "done" mark has expired
      let ran = false;
      const hit = await b.getOrCompute(
        k,
        async () => {
          ran = true;
          return fresh(2);
        },
        undefined,
        eager,
      );
      expect(ran).toBe(false);
      expect(hit).toMatchObject({ fromCache: true, value: { output: { n: 1 } } });
      for (let i = 0; i < 50 && (await redis.exists(lockKey(k))); i++) await new Promise((r) => setTimeout(r, 10));
      expect(await redis.exists(lockKey(k))).toBe(0);
    });

    it('a miss while another process holds the lock waits for its result', async () => {
      const k = key();
      let release!: () => void;
      const holding = a.getOrCompute(k, () => new Promise<FreshAnalysis>((r) => (release = () => r(fresh(7)))));
      for (let i = 0; i < 50 && !(await redis.exists(lockKey(k))); i++) await new Promise((r) => setTimeout(r, 10));
      let ran = false;
      const waiting = b.getOrCompute(
        k,
        async () => {
          ran = true;
          return fresh(8);
        },
        undefined,
        eager,
      );
      await new Promise((r) => setTimeout(r, 50));
      release();
      expect(await waiting).toMatchObject({ fromCache: true, value: { output: { n: 7 } } });
      expect(await holding).toMatchObject({ fromCache: false });
      expect(ran).toBe(false);
    });

    it('a failed lookup frees the lock it took and rejects', async () => {
      const k = key();
      jest.spyOn(b, 'lookup').mockRejectedValueOnce(new Error('db down'));
      await expect(b.getOrCompute(k, async () => fresh(1), undefined, eager)).rejects.toThrow('db down');
      for (let i = 0; i < 50 && (await redis.exists(lockKey(k))); i++) await new Promise((r) => setTimeout(r, 10));
      expect(await redis.exists(lockKey(k))).toBe(0);
    });
  });

  it('many different keys finishing at once are all stored (one batched INSERT) and read back exactly', async () => {
    const keys = Array.from({ length: 40 }, key);
    await Promise.all(keys.map((k, i) => a.getOrCompute(k, async () => ({ ...fresh(i), originalCostPico: 123_456_789n, quality: 87.5 }))));
    const back = await Promise.all(keys.map((k) => b.lookup(k, false)));
    expect(back.map((v) => (v?.output as { n: number } | undefined)?.n)).toEqual(keys.map((_, i) => i));
    expect(back[0]).toMatchObject({ originalCostPico: 123_456_789n, quality: 87.5, model: 'ollama/qwen3:8b' });
  });
});
