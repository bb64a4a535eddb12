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

  it('among waiters of one priority, a freed slot goes to the tenant holding the fewest here', async () => {
    const slots = new RunSlots(2);
    const a1 = await slots.acquire(5, 'a');
    const a2 = await slots.acquire(5, 'a');
    const order: string[] = [];
    const waiter = (tenant: string, priority = 5) =>
      slots.acquire(priority, tenant).then((s) => {
        order.push(tenant);
        return s;
      });
    // Tenant a's next items were in hand first; tenant b's first item arrives behind them.
    const a3 = waiter('a');
    const a4 = waiter('a');
    const b1 = waiter('b');
    a1.release();
    const first = await b1;
    expect(order).toEqual(['b']);
    // Now a holds one slot and b one: a's waiters go in arrival order.
    a2.release();
    await a3;
    first.release();
    await a4;
    expect(order).toEqual(['b', 'a', 'a']);
  });

  it('priority still comes before tenant fairness', async () => {
    const slots = new RunSlots(1);
    const held = await slots.acquire(5, 'a');
    const order: string[] = [];
    const b = slots.acquire(5, 'b').then((s) => {
      order.push('b-medium');
      s.release();
    });
    const a = slots.acquire(1, 'a').then((s) => {
      order.push('a-high');
      s.release();
    });
    held.release();
    await Promise.all([a, b]);
    expect(order).toEqual(['a-high', 'b-medium']);
  });
});
