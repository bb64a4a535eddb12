// A submission's valid items, held while its body is still arriving, so that they are written to the database
// only once the whole body is in and checked: no connection or transaction waits on a slow client. Small
// submissions stay in memory; past a memory budget the items go to a temporary file (one JSON line each).
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { NewItem } from './jobs.repository';

/** Memory one submission may use for its items before they spill to disk (about 8 MiB of JSON text). */
export const SPOOL_MEMORY_BYTES = 8 * 1024 * 1024;

interface SpooledItem {
  index: number;
  inputHash: string;
  /** The item's input as JSON text (what the database stores). */
  json: string;
}

export class ItemSpool {
  private memory: SpooledItem[] = [];
  private memoryBytes = 0;
  private dir: string | null = null;
  private file: WriteStream | null = null;
  count = 0;

  constructor(private readonly memoryBudget = SPOOL_MEMORY_BYTES) {}

  /** Whether the items went to disk (more than the memory budget). */
  get spilled(): boolean {
    return this.dir !== null;
  }

  async add(items: NewItem[]): Promise<void> {
    for (const it of items) {
      const json = it.raw ?? JSON.stringify(it.input);
      this.count++;
      if (this.file) {
        await this.writeLine({ index: it.index, inputHash: it.inputHash, json });
        continue;
      }
      this.memory.push({ index: it.index, inputHash: it.inputHash, json });
      this.memoryBytes += json.length + it.inputHash.length + 16;
      if (this.memoryBytes > this.memoryBudget) await this.spill();
    }
  }

  /** The items in the order they were added, `size` at a time (memory first, then the file). */
  async *chunks(size: number): AsyncGenerator<NewItem[]> {
    let chunk: NewItem[] = [];
    const take = (it: SpooledItem) => {
      chunk.push({ index: it.index, input: undefined, raw: it.json, inputHash: it.inputHash });
    };
    for (const it of this.memory) {
      take(it);
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
    if (this.file && this.dir) {
      const file = this.file;
      file.end();
      await once(file, 'close');
      this.file = null;
      const lines = createInterface({ input: createReadStream(path.join(this.dir, 'items.jsonl'), { encoding: 'utf8' }), crlfDelay: Infinity });
      for await (const line of lines) {
        // `<index>\t<hash>\t<json>`: JSON text never holds a raw tab or newline, so the line splits safely
        const a = line.indexOf('\t');
        const b = line.indexOf('\t', a + 1);
        take({ index: Number(line.slice(0, a)), inputHash: line.slice(a + 1, b), json: line.slice(b + 1) });
        if (chunk.length >= size) {
          yield chunk;
          chunk = [];
        }
      }
    }
    if (chunk.length) yield chunk;
  }

  /** Frees the memory and removes the temporary file; safe to call more than once. */
  async dispose(): Promise<void> {
    this.memory = [];
    this.memoryBytes = 0;
    const file = this.file;
    this.file = null;
    if (file && !file.closed) {
      file.destroy();
      await once(file, 'close').catch(() => undefined);
    }
    const dir = this.dir;
    this.dir = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  private async spill(): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'margin-spool-'));
    this.file = createWriteStream(path.join(this.dir, 'items.jsonl'), { encoding: 'utf8', mode: 0o600 });
    // everything moves to the file, so the items keep their order
    const moving = this.memory;
    this.memory = [];
    this.memoryBytes = 0;
    for (const it of moving) await this.writeLine(it);
  }

  private async writeLine(it: SpooledItem): Promise<void> {
    const file = this.file as WriteStream;
    if (!file.write(`${it.index}\t${it.inputHash}\t${it.json}\n`)) await once(file, 'drain');
  }
}
