import { Writable } from 'node:stream';
import type { JobItemView } from '@margin/contracts';
import { parse } from 'csv-parse/sync';
import { writeResults, type ResultsFormat } from './results-export';

const item = (over: Partial<JobItemView>): JobItemView => ({
  id: '00000000-0000-4000-8000-000000000000',
  index: 0,
  status: 'completed',
  input: { title: 'Song' },
  result: { mood: 'calm' },
  cached: false,
  costUsd: 0.0012,
  model: 'llama3:8b',
  error: null,
  attempts: 1,
  ...over,
});

async function* from(items: JobItemView[]): AsyncGenerator<JobItemView> {
  for (const i of items) yield i;
}

async function exportAs(format: ResultsFormat, items: JobItemView[]): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  await writeResults(from(items), format, out);
  return Buffer.concat(chunks).toString('utf8');
}

describe('writeResults', () => {
  it('writes CSV with a header, JSON cells, true/false, and quotes where a cell needs them', async () => {
    const csv = await exportAs('csv', [
      item({ index: 0, cached: true, result: { note: 'a, "b"\nc' } }),
      item({ index: 1, status: 'failed', result: null, model: null, error: 'timeout', costUsd: 0 }),
    ]);
    expect(csv).toBe(
      'index,status,cached,cost_usd,model,error,input,result\n' +
        '0,completed,true,0.0012,llama3:8b,,"{""title"":""Song""}","{""note"":""a, \\""b\\""\\nc""}"\n' +
        '1,failed,false,0,,timeout,"{""title"":""Song""}",\n',
    );
  });

  it('opens every cell a spreadsheet would run as a formula with a quote, so it is read as text', async () => {
    const formulas = ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'];
    const csv = await exportAs(
      'csv',
      formulas.map((f, index) => item({ index, result: f, error: f, model: f })),
    );
    const records = parse(csv, { columns: true }) as Array<Record<string, string>>;
    expect(records.map((r) => [r['model'], r['error'], r['result']])).toEqual(formulas.map((f) => [`'${f}`, `'${f}`, `'${f}`]));
    // numbers are numbers, not formulas; text that merely contains the characters is left alone
    const plain = await exportAs('csv', [item({ index: 3, result: 'a=b', error: 'x-y' })]);
    expect(parse(plain, { columns: true })).toEqual([expect.objectContaining({ index: '3', error: 'x-y', result: 'a=b' })]);
  });

  it('writes JSON as one array and JSONL as one object per line', async () => {
    const items = [item({ index: 0 }), item({ index: 1, result: '=1+1' })];
    const json = JSON.parse(await exportAs('json', items)) as Array<Record<string, unknown>>;
    expect(json.map((r) => [r['index'], r['result']])).toEqual([
      [0, { mood: 'calm' }],
      [1, '=1+1'],
    ]);
    expect(Object.keys(json[0] ?? {})).toEqual(['index', 'status', 'cached', 'costUsd', 'model', 'error', 'input', 'result']);
    const lines = (await exportAs('jsonl', items)).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => (JSON.parse(l) as { index: number }).index)).toEqual([0, 1]);
    expect(await exportAs('json', [])).toBe('[]');
  });

  it('stops reading the items when the client hangs up, without an error', async () => {
    let read = 0;
    async function* many(): AsyncGenerator<JobItemView> {
      for (let index = 0; index < 10_000; index++) {
        read++;
        yield item({ index });
      }
    }
    const out = new Writable({
      highWaterMark: 16,
      write(_chunk, _enc, done) {
        setImmediate(() => {
          out.destroy();
          done();
        });
      },
    });
    await expect(writeResults(many(), 'csv', out)).resolves.toBeUndefined();
    expect(read).toBeLessThan(10_000);
  });

  it('passes on a failure to read the items', async () => {
    async function* broken(): AsyncGenerator<JobItemView> {
      yield item({ index: 0 });
      throw new Error('database gone');
    }
    const out = new Writable({ write: (_c, _e, done) => done() });
    await expect(writeResults(broken(), 'jsonl', out)).rejects.toThrow('database gone');
  });
});
