import type { AppConfig } from '@margin/core';
import { strictMock } from '@margin/testing';
import type { Job, Queue } from 'bull';
import { AnalysisProcessor } from './analysis.processor';
import type { ItemRunner } from './item-runner';
import type { JobFeeder } from './job-feeder';

describe('AnalysisProcessor', () => {
  type Handler = (job: Job) => Promise<void>;
  const setup = (run: ItemRunner['run']) => {
    let handler: Handler | undefined;
    const queue = strictMock<Queue>({
      process: ((_name: string, _n: number, h: Handler) => {
        handler = h;
        return Promise.resolve();
      }) as never,
    });
    const runner = strictMock<ItemRunner>({ run });
    const feeder = strictMock<JobFeeder>({ release: async () => undefined, pump: async () => 0 });
    const processor = new AnalysisProcessor(queue, runner, feeder, { workerConcurrency: 3 } as AppConfig);
    processor.onModuleInit();
    processor.onModuleDestroy();
    const job = (attemptsMade: number) =>
      ({ id: 'item-1:0', data: { tenantId: 't', jobId: 'j', itemId: 'item-1' }, attemptsMade, opts: { attempts: 3, priority: 5 } }) as unknown as Job;
    return { deliver: (j: Job) => (handler as Handler)(j), runner, feeder, queue, job };
  };

  it('holds WORKER_CONCURRENCY × 2 deliveries and gives the place back once a delivery is done', async () => {
    const { deliver, feeder, queue, job, runner } = setup(async () => undefined);
    expect(queue.process).toHaveBeenCalledWith('item', 6, expect.any(Function));
    await deliver(job(0));
    expect(runner.run).toHaveBeenCalledWith({ tenantId: 't', jobId: 'j', itemId: 'item-1' }, { attemptsMade: 0, maxAttempts: 3, priority: 5 });
    expect(feeder.release).toHaveBeenCalledWith('item-1', 'item-1:0');
  });

  it('a delivery Bull will retry keeps its place; its last failed attempt gives it back', async () => {
    const { deliver, feeder, job } = setup(async () => {
      throw new Error('provider 500');
    });
    await expect(deliver(job(0))).rejects.toThrow('provider 500');
    expect(feeder.release).not.toHaveBeenCalled();
    await expect(deliver(job(2))).rejects.toThrow('provider 500');
    expect(feeder.release).toHaveBeenCalledWith('item-1', 'item-1:0');
  });

  it('a release that fails does not fail a delivery whose work is done', async () => {
    const { deliver, feeder, job } = setup(async () => undefined);
    feeder.release.mockRejectedValueOnce(new Error('redis down'));
    await expect(deliver(job(0))).resolves.toBeUndefined();
  });
});
