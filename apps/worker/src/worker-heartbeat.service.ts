import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { WORKER_HEARTBEAT_PREFIX, WORKER_HEARTBEAT_TTL_SECONDS, type WorkerHeartbeat } from '@margin/contracts';
import { AppConfig, Clock, REDIS } from '@margin/core';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export const WORKER_QUEUES = Symbol('WORKER_QUEUES');

/** Tells the API (and /health) which workers are alive: a key per worker, refreshed well within its TTL. */
@Injectable()
export class WorkerHeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHeartbeatService.name);
  private readonly id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly startedAt: string;
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(WORKER_QUEUES) private readonly queues: string[],
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now().toISOString();
  }

  get key(): string {
    return `${WORKER_HEARTBEAT_PREFIX}${this.id}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), (WORKER_HEARTBEAT_TTL_SECONDS * 1000) / 3);
    this.timer.unref();
    this.logger.log({ workerId: this.id, queues: this.queues }, 'Worker ready');
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      await this.redis.del(this.key);
    } catch (err) {
      this.logger.warn(`Could not remove heartbeat: ${(err as Error).message}`);
    }
    this.logger.log({ workerId: this.id, signal }, 'Worker stopped');
  }

  private async beat(): Promise<void> {
    const beat: WorkerHeartbeat = {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      queues: this.queues,
      concurrency: this.config.workerConcurrency,
      startedAt: this.startedAt,
      seenAt: this.clock.now().toISOString(),
    };
    try {
      await this.redis.set(this.key, JSON.stringify(beat), 'EX', WORKER_HEARTBEAT_TTL_SECONDS);
    } catch (err) {
      this.logger.warn(`Heartbeat failed: ${(err as Error).message}`);
    }
  }
}
