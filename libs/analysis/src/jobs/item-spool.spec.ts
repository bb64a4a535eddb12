import { existsSync } from 'node:fs';
import { ItemSpool } from './item-spool';
import type { NewItem } from './jobs.repository';

const items = (from: number, n: number): NewItem[] =>
  Array.from({ length: n }, (_, i) => ({
    index: from + i,
    input: { title: `song ${from + i}`, lyrics: 'é😀\n"quoted"'.repeat(3) },
    inputHash: `h${from + i}`,
  }));

async function drain(spool: ItemSpool, size: number): Promise<NewItem[][]> {
  const out: NewItem[][] = [];
  for await (const c of spool.chunks(size)) out.push(c);
  return out;
}

describe('ItemSpool', () => {
  it('keeps a small submission in memory and gives it back in order, in chunks of the asked size', async () => {
    const spool = new ItemSpool();
    await spool.add(items(0, 5));
    await spool.add(items(5, 3));
    const chunks = await drain(spool, 3);
    expect(spool.spilled).toBe(false);
    expect(chunks.map((c) => c.length)).toEqual([3, 3, 2]);
    expect(chunks.flat().map((it) => [it.index, it.inputHash, JSON.parse(it.raw as string)])).toEqual(
      items(0, 8).map((it) => [it.index, it.inputHash, it.input]),
    );
    await spool.dispose();
  });

  it('spills to a private temporary file past its memory budget, keeps the order, and removes the file when disposed', async () => {
    const spool = new ItemSpool(2_000);
    for (let i = 0; i < 100; i += 10) await spool.add(items(i, 10));
    expect(spool.spilled).toBe(true);
    expect(spool.count).toBe(100);
    const dir = (spool as unknown as { dir: string }).dir;
    expect(existsSync(dir)).toBe(true);
    const chunks = await drain(spool, 30);
    expect(chunks.map((c) => c.length)).toEqual([30, 30, 30, 10]);
    expect(chunks.flat().map((it) => it.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(JSON.parse(chunks[3]?.[9]?.raw as string)).toEqual(items(99, 1)[0]?.input);
    await spool.dispose();
    expect(existsSync(dir)).toBe(false);
    await spool.dispose();
  });

  it('disposing a spilled spool that was never read removes its file', async () => {
    const spool = new ItemSpool(100);
    await spool.add(items(0, 20));
    const dir = (spool as unknown as { dir: string }).dir;
    await spool.dispose();
    expect(existsSync(dir)).toBe(false);
  });
});
