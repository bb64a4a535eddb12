import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JobItemView } from '@margin/contracts';
import { stringify } from 'csv-stringify';

export type ResultsFormat = 'json' | 'jsonl' | 'csv';

export const RESULTS_CONTENT_TYPES: Record<ResultsFormat, string> = { json: 'application/json', jsonl: 'application/x-ndjson', csv: 'text/csv' };

const CSV_COLUMNS = [
  { key: 'index', header: 'index' },
  { key: 'status', header: 'status' },
  { key: 'cached', header: 'cached' },
  { key: 'costUsd', header: 'cost_usd' },
  { key: 'model', header: 'model' },
  { key: 'error', header: 'error' },
  { key: 'input', header: 'input' },
  { key: 'result', header: 'result' },
];

type ResultRow = Pick<JobItemView, 'index' | 'status' | 'cached' | 'costUsd' | 'model' | 'error' | 'input' | 'result'>;

const toRow = (item: JobItemView): ResultRow => ({
  index: item.index,
  status: item.status,
  cached: item.cached,
  costUsd: item.costUsd,
  model: item.model,
  error: item.error,
  input: item.input,
  result: item.result,
});

/**
 * A job's results as CSV rows: objects and arrays as JSON, booleans as true/false, and a cell that a
 * spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a CR; models and inputs write text
 * like that) gets a leading `'`, so that it opens as text (OWASP's CSV injection advice).
 */
function csvResults(): Transform {
  return stringify({
    header: true,
    columns: CSV_COLUMNS,
    escape_formulas: true,
    cast: { boolean: (v) => String(v) },
  });
}

async function* jsonText(items: AsyncIterable<JobItemView>, format: 'json' | 'jsonl'): AsyncGenerator<string> {
  let first = true;
  if (format === 'json') yield '[';
  for await (const item of items) {
    const text = JSON.stringify(toRow(item));
    yield format === 'jsonl' ? `${text}\n` : `${first ? '' : ','}${text}`;
    first = false;
  }
  if (format === 'json') yield ']';
}

async function* rows(items: AsyncIterable<JobItemView>): AsyncGenerator<ResultRow> {
  for await (const item of items) yield toRow(item);
}

/**
 * Writes the job's results to `out` in `format`, reading the items only as fast as `out` takes them. A client
 * that hangs up mid-download only stops the reading: that is not an error of the server's.
 */
export async function writeResults(items: AsyncIterable<JobItemView>, format: ResultsFormat, out: NodeJS.WritableStream): Promise<void> {
  try {
    if (format === 'csv') await pipeline(Readable.from(rows(items)), csvResults(), out);
    else await pipeline(Readable.from(jsonText(items, format)), out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }
}
