import { RunSlots } from './run-slots';

describe('RunSlots', () => {
  it('lets `size` holders in at once; a release hands the slot straight to the next waiter', async () => {
    const slots = new RunSlots(2);
    const a = await slots.acquire(5);
    const b = await slots.acquire(5);
    expect([a.waited, b.waited]).toEqual([false, false]);
    let got = false;
    const c = slots.acquire(5).then((s) => {
      got = true;
      return s;
    });
    await Promise.resolve();
    expect(got).toBe(false);
    expect(slots.waiting).toBe(1);
    a.release();
    a.release(); // a second release is a no-op
    const held = await c;
    expect(held.waited).toBe(true);
    expect(slots.waiting).toBe(0);
    // Both slots are taken again (b and c): a fourth waits.
    let fourth = false;
    void slots.acquire(5).then(() => (fourth = true));
    await new Promise((r) => setImmediate(r));
    expect(fourth).toBe(false);
    b.release();
    await new Promise((r) => setImmediate(r));
    expect(fourth).toBe(true);
  });

  it('a higher-priority waiter (lower Bull number) goes before earlier lower-priority ones', async () => {
    const slots = new RunSlots(1);
    const first = await slots.acquire(10);
    const order: string[] = [];
    const low = slots.acquire(10).then((s) => {
      order.push('low');
      s.release();
    });
    const high = slots.acquire(1).then((s) => {
      order.push('high');
      s.release();
    });
    first.release();
    await Promise.all([low, high]);
    expect(order).toEqual(['high', 'low']);
  });
});
