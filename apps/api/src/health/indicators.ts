import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { WORKER_HEARTBEAT_FRESH_SECONDS, WORKER_HEARTBEAT_PREFIX, type WorkerHeartbeat } from '@margin/contracts';
import { Clock, REDIS } from '@margin/core';
import { CatalogService, CircuitBreakerService } from '@margin/model-router';
import { ProviderHealthService, ProviderRegistry } from '@margin/providers';
import type Redis from 'ioredis';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(key: string) {
    const indicator = this.indicators.check(key);
    const started = Date.now();
    try {
      const pong = await Promise.race([
        this.redis.ping(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout after 2000ms')), 2000).unref()),
      ]);
      return pong === 'PONG' ? indicator.up({ latencyMs: Date.now() - started }) : indicator.down({ message: `unexpected reply ${pong}` });
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }
}

/**
 * Workers announce themselves in Redis with a short TTL; only those whose last beat is fresh are counted (a
 * key can outlive its worker by up to its TTL after a kill -9, and a beat written by a stuck or clock-skewed
 * process must not count as a live worker). No live worker does not fail the check: the API still accepts
 * jobs (they queue until a worker starts) and serves reads, and load balancers must not drop it. It is
 * reported as `count: 0, degraded: true` with a message instead.
 */
@Injectable()
export class WorkersHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly indicators: HealthIndicatorService,
    private readonly clock: Clock,
  ) {}

  async check(key: string) {
    const indicator = this.indicators.check(key);
    try {
      const keys = await this.scan(`${WORKER_HEARTBEAT_PREFIX}*`);
      const beats = keys.length ? await this.redis.mget(keys) : [];
      const oldest = this.clock.now().getTime() - WORKER_HEARTBEAT_FRESH_SECONDS * 1000;
      const parsed = beats.filter((b): b is string => b !== null).map(parseBeat);
      const workers = parsed
        .filter((b): b is WorkerHeartbeat => b !== null && Date.parse(b.seenAt) >= oldest)
        .map(({ id, host, pid, queues, concurrency, seenAt }) => ({ id, host, pid, queues, concurrency, seenAt }));
      const stale = parsed.length - workers.length;
      if (workers.length === 0) {
        return indicator.up({ count: 0, workers, stale, degraded: true, message: 'no live worker: jobs are accepted and queue until a worker starts' });
      }
      return indicator.up({ count: workers.length, workers, stale });
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }

  private async scan(pattern: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 100);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  }
}

/**
 * Each enabled provider's last probe (cached for a few seconds) and its models' open circuits: a provider is
 * `down` when its probe fails or every one of its models' circuits is open, and `backInSeconds` says when the
 * first circuit half-opens. Reported, not failed on: the router falls back across providers, waiting work
 * resumes by itself, and a model host's outage must not take the API out of its load balancer.
 */
@Injectable()
export class ProvidersHealthIndicator {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly probes: ProviderHealthService,
    private readonly catalog: CatalogService,
    private readonly breaker: CircuitBreakerService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(key: string) {
    const indicator = this.indicators.check(key);
    const enabled = this.registry.list().filter((p) => p.config.enabled);
    const models = this.catalog.allModels().filter((m) => m.enabled);
    const circuits = await this.breaker.snapshot(models.map((m) => m.id)).catch(() => []);
    const states = await Promise.all(
      enabled.map(async (p) => {
        const s = await this.probes.status(p.config.id);
        const own = circuits.filter((c) => models.find((m) => m.id === c.key)?.providerId === p.config.id);
        const open = own.filter((c) => c.state === 'open');
        const down = !s.healthy || (own.length > 0 && open.length === own.length);
        const back = open.length ? Math.min(...open.map((c) => c.retryAfterMs ?? 0)) : null;
        return [
          p.config.id,
          {
            healthy: s.healthy,
            down,
            emulated: s.emulated,
            latencyMs: s.latencyMs,
            openCircuits: open.map((c) => c.key),
            ...(back !== null ? { backInSeconds: Math.ceil(back / 1000) } : {}),
            ...(s.error ? { error: s.error } : {}),
          },
        ] as const;
      }),
    );
    return indicator.up({
      healthy: states.filter(([, s]) => s.healthy).length,
      total: states.length,
      down: states.filter(([, s]) => s.down).map(([id]) => id),
      providers: Object.fromEntries(states),
    });
  }
}

function parseBeat(raw: string): WorkerHeartbeat | null {
  try {
    const beat = JSON.parse(raw) as Partial<WorkerHeartbeat>;
    return typeof beat?.id === 'string' && typeof beat.seenAt === 'string' && Number.isFinite(Date.parse(beat.seenAt)) ? (beat as WorkerHeartbeat) : null;
  } catch {
    return null;
  }
}
