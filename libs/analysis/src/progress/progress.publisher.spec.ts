import type { JobCounters } from '@margin/contracts';
import type Redis from 'ioredis';
import { ProgressPublisher } from './progress.publisher';

/**
 * The one connection the publisher duplicates from the shared client; Redis itself is the int-spec's business.
 * `takeSlot` answers the slot script (the one command the publisher defines on it).
 */
function fakeRedis(overrides: Partial<Record<'takeSlot' | 'publish', jest.Mock>> = {}) {
  const takeSlot = overrides.takeSlot ?? jest.fn(async () => -1);
  const connection: Record<string, unknown> = {
    on: jest.fn(),
    autoPipelineQueueSize: 0,
    defineCommand: jest.fn((name: string) => {
      connection[name] = takeSlot;
    }),
    publish: overrides.publish ?? jest.fn(async () => 1),
    quit: jest.fn(async () => 'OK'),
    disconnect: jest.fn(),
  };
  const shared = { duplicate: () => connection } as unknown as Redis;
  return { shared, connection, takeSlot };
}

const counters = (over: Partial<JobCounters> = {}): JobCounters => ({
  jobId: '5b1f0a40-6c1e-4a57-9a0e-1f6f6f0b9a11',
  status: 'running',
  total: 2,
  completed: 1,
  failed: 0,
  cached: 0,
  percentage: 50,
  etaSeconds: 3,
  costUsd: 0.01,
  ...over,
});

describe('ProgressPublisher', () => {
  it('never throws at the caller: a failing read or Redis is logged and processing goes on', async () => {
    const { shared } = fakeRedis({ publish: jest.fn(async () => Promise.reject(new Error('connection lost'))) });
    const publisher = new ProgressPublisher(shared);
    const c = counters();
    await expect(publisher.jobProgress('t1', c.jobId, async () => Promise.reject(new Error('db down')))).resolves.toBeUndefined();
    await expect(publisher.jobProgress('t1', c.jobId, async () => c)).resolves.toBeUndefined();
    await expect(publisher.jobCompleted('t1', counters({ status: 'completed' }))).resolves.toBeUndefined();
    await expect(
      publisher.itemCompleted('t1', { jobId: c.jobId, itemId: 'i', index: 0, status: 'failed', cached: false, costUsd: 0 }),
    ).resolves.toBeUndefined();
    await publisher.onApplicationShutdown();
  });

  it('leaves a terminal status to jobCompleted, so job.progress never follows job.completed', async () => {
    const { shared, connection } = fakeRedis();
    const publisher = new ProgressPublisher(shared);
    await publisher.jobProgress('t1', counters().jobId, async () => counters({ status: 'cancelled' }));
    expect(connection.publish).not.toHaveBeenCalled();
    await publisher.jobProgress('t1', counters().jobId, async () => counters());
    expect(connection.publish).toHaveBeenCalledTimes(1);
    await publisher.onApplicationShutdown();
  });

  it('drops pending trailing emissions and closes its connection on shutdown', async () => {
    jest.useFakeTimers();
    try {
      const { shared, connection, takeSlot } = fakeRedis({ takeSlot: jest.fn(async () => 200) }); // always inside the interval
      const publisher = new ProgressPublisher(shared);
      const read = jest.fn(async () => counters());
      await publisher.jobProgress('t1', counters().jobId, read);
      await publisher.onApplicationShutdown();
      await jest.advanceTimersByTimeAsync(1000);
      expect(read).not.toHaveBeenCalled();
      expect(connection.quit).toHaveBeenCalled();
      await publisher.jobProgress('t1', counters().jobId, read); // after shutdown: ignored
      expect(takeSlot).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
