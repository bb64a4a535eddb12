import { WORKER_HEARTBEAT_PREFIX, type WorkerHeartbeat } from '@margin/contracts';
import { ManualClock } from '@margin/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { strictMock } from '@margin/testing';
import type Redis from 'ioredis';
import { WorkersHealthIndicator } from './indicators';

const beat = (id: string, seenAt: string): WorkerHeartbeat => ({ id, host: 'h', pid: 1, queues: ['analysis'], concurrency: 4, startedAt: seenAt, seenAt });

function indicatorWith(values: Array<string | null>, clock: ManualClock) {
  const keys = values.map((_, i) => `${WORKER_HEARTBEAT_PREFIX}w${i}`);
  const redis = strictMock<Redis>({
    scan: (async () => ['0', keys]) as unknown as Redis['scan'],
    mget: (async () => values) as unknown as Redis['mget'],
  });
  return new WorkersHealthIndicator(redis, new HealthIndicatorService(), clock);
}

describe('WorkersHealthIndicator', () => {
  const clock = new ManualClock(new Date('2026-12-01T12:00:00Z'));

  it('counts only workers whose last beat is fresh', async () => {
    const values = [JSON.stringify(beat('live', '2026-12-01T11:59:55Z')), JSON.stringify(beat('stale', '2026-12-01T11:58:00Z')), 'not json', null];
    const result = await indicatorWith(values, clock).check('workers');
    expect(result.workers).toMatchObject({ status: 'up', count: 1, stale: 2 });
    expect((result.workers as { workers: Array<{ id: string }> }).workers.map((w) => w.id)).toEqual(['live']);
  });

  it('no live worker: still up (the API accepts and queues jobs) but says degraded, with why', async () => {
    const result = await indicatorWith([JSON.stringify(beat('gone', '2026-12-01T11:50:00Z'))], clock).check('workers');
    expect(result.workers).toMatchObject({ status: 'up', count: 0, degraded: true, message: expect.stringContaining('queue until a worker starts') });
  });
});
