import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes concurrent rows together and gives each caller its own result', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>(
      async (rows) => {
        batches.push(rows);
        return rows.map((r) => r * 10);
      },
      { maxBatch: 100 },
    );
    const results = await Promise.all([1, 2, 3, 4].map((n) => gc.add(n)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('splits at maxBatch and keeps writing what arrives during a write', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommit<number, number>(
      async (rows) => {
        batches.push(rows);
        if (batches.length === 1) await gate;
        return rows;
      },
      { maxBatch: 2 },
    );
    const first = gc.add(1);
    await new Promise((r) => setImmediate(r));
    const later = [gc.add(2), gc.add(3), gc.add(4)];
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3], [4]]);
  });

  it('retries a failed write, then rejects every caller of the batch (nothing reported written)', async () => {
    let calls = 0;
    const gc = new GroupCommit<string, string>(
      async () => {
        calls++;
        throw new Error('connection lost');
      },
      { maxBatch: 10, retries: 2, retryDelayMs: 1 },
    );
    const settled = await Promise.allSettled([gc.add('a'), gc.add('b')]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(3);
    // The next batch is written normally.
    const ok = new GroupCommit<string, string>(async (rows) => rows, { maxBatch: 10 });
    await expect(ok.add('c')).resolves.toBe('c');
  });

  it('a write that succeeds on retry resolves its callers once', async () => {
    let calls = 0;
    const gc = new GroupCommit<string, boolean>(
      async (rows) => {
        if (++calls === 1) throw new Error('deadlock detected');
        return rows.map(() => true);
      },
      { maxBatch: 10, retryDelayMs: 1 },
    );
    await expect(gc.add('x')).resolves.toBe(true);
    expect(calls).toBe(2);
  });

  it('drain waits for rows in flight', async () => {
    const written: number[] = [];
    const gc = new GroupCommit<number, void>(
      async (rows) => {
        await new Promise((r) => setTimeout(r, 20));
        written.push(...rows);
        return rows.map(() => undefined);
      },
      { maxBatch: 10 },
    );
    void gc.add(1);
    void gc.add(2);
    await gc.drain();
    expect(written).toEqual([1, 2]);
  });
});
