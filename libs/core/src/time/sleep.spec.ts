import { sleep } from './sleep';

describe('sleep', () => {
  it('waits at least the time asked', async () => {
    const t0 = performance.now();
    await sleep(30);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('ends at once on abort, rejecting with the signal’s reason', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const t0 = performance.now();
    const waiting = sleep(10_000, controller.signal);
    setImmediate(() => controller.abort(reason));
    await expect(waiting).rejects.toBe(reason);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it('does not start when the signal is already aborted', async () => {
    const reason = new Error('gone');
    await expect(sleep(10_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
