// Reads pasted or uploaded items the way the API reads an uploaded file: a CSV with a header row, a JSON
// array (or {"items": [...]}), or JSON lines. Everything happens in the browser, before anything is sent.
import Papa from 'papaparse';

export type ItemsFormat = 'csv' | 'json' | 'jsonl';

export interface SourceRow {
  /** The item's index, as the API numbers items (items.0 is the first). */
  index: number;
  /** Line of the source where the row starts (1-based), to find it in the file; null inside a JSON array. */
  line: number | null;
  values: Record<string, unknown>;
  /** Problems with the row itself (not an object, wrong cell count), before any mapping. */
  problems: string[];
}

export type ParsedItems = { ok: true; format: ItemsFormat; columns: string[]; rows: SourceRow[] } | { ok: false; error: string };

const FORMAT_LABELS: Record<ItemsFormat, string> = { csv: 'CSV', json: 'JSON', jsonl: 'JSON lines' };

export function formatLabel(format: ItemsFormat): string {
  return FORMAT_LABELS[format];
}

interface CsvRecord {
  line: number;
  cells: string[];
}

/**
 * RFC 4180 (Papa Parse): quoted cells may hold commas, doubled quotes and line breaks; CRLF, LF or CR line
 * ends. A quote inside an unquoted cell is kept as text, as spreadsheets do.
 */
export function parseCsvRecords(raw: string): CsvRecord[] | { error: string } {
  // One line end everywhere, so that a file mixing them reads as one that does not.
  const text = raw.replace(/\r\n?/g, '\n');
  const records: CsvRecord[] = [];
  let error: string | null = null;
  let start = 0;
  let line = 1;
  Papa.parse<string[]>(text, {
    delimiter: ',',
    newline: '\n',
    step: ({ data: cells, errors, meta }, parser) => {
      const recordLine = line;
      for (let i = start; i < meta.cursor; i++) if (text[i] === '\n') line++;
      start = meta.cursor;
      const problem = errors[0];
      if (problem) {
        error =
          problem.code === 'MissingQuotes'
            ? `Line ${recordLine}: a quoted cell is never closed.`
            : `Line ${recordLine}: unexpected text after a closing quote.`;
        parser.abort();
        return;
      }
      // Blank lines are skipped, as the API's parser does.
      if (!(cells.length === 1 && cells[0].trim() === '')) records.push({ line: recordLine, cells });
    },
  });
  return error === null ? records : { error };
}

/** Column names as they appear, with repeats made unique ("name", "name (2)") so none is lost. */
function uniqueColumns(header: string[]): string[] {
  const seen = new Map<string, number>();
  return header.map((raw) => {
    const name = raw.trim() || 'column';
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name} (${count})`;
  });
}

function parseCsv(text: string): ParsedItems {
  const records = parseCsvRecords(text);
  if (!Array.isArray(records)) return { ok: false, error: records.error };
  const [header, ...body] = records;
  if (!header) return { ok: false, error: 'The CSV is empty: it needs a header row with the column names.' };
  const columns = uniqueColumns(header.cells);
  const rows = body.map((record, index): SourceRow => {
    const values: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      // Cells are trimmed, as the API does with an uploaded CSV.
      values[column] = (record.cells[i] ?? '').trim();
    });
    const problems =
      record.cells.length === columns.length
        ? []
        : [`has ${record.cells.length} ${record.cells.length === 1 ? 'cell' : 'cells'}; the header has ${columns.length}`];
    return { index, line: record.line, values, problems };
  });
  return { ok: true, format: 'csv', columns, rows };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fromObjects(format: ItemsFormat, list: unknown[], lines: Array<number | null>): ParsedItems {
  const columns: string[] = [];
  const known = new Set<string>();
  const rows = list.map((value, index): SourceRow => {
    if (!isRecord(value)) {
      return { index, line: lines[index] ?? null, values: {}, problems: ['is not an object with named fields'] };
    }
    for (const key of Object.keys(value)) {
      if (!known.has(key)) {
        known.add(key);
        columns.push(key);
      }
    }
    return { index, line: lines[index] ?? null, values: value, problems: [] };
  });
  return { ok: true, format, columns, rows };
}

function parseJsonLines(text: string): ParsedItems | null {
  const lines = text.split(/\r?\n/);
  const list: unknown[] = [];
  const lineNumbers: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    try {
      list.push(JSON.parse(line) as unknown);
      lineNumbers.push(i + 1);
    } catch {
      return null;
    }
  }
  return list.length > 1 ? fromObjects('jsonl', list, lineNumbers) : null;
}

function parseJson(text: string): ParsedItems {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    const lines = parseJsonLines(text);
    if (lines) return lines;
    const reason = error instanceof Error ? error.message : 'unreadable';
    return { ok: false, error: `This is not valid JSON (${reason}).` };
  }
  const list = Array.isArray(parsed) ? parsed : isRecord(parsed) && Array.isArray(parsed.items) ? parsed.items : null;
  if (list === null) {
    // One object on its own is one item.
    if (isRecord(parsed)) return fromObjects('json', [parsed], [null]);
    return { ok: false, error: 'The JSON must be an array of items, or an object with an "items" array.' };
  }
  return fromObjects('json', list, []);
}

/** The items in pasted text or a file's content; JSON when it starts with [ or {, CSV otherwise. */
export function parseItemsText(raw: string): ParsedItems | null {
  const text = raw.replace(/^\uFEFF/, '');
  if (text.trim() === '') return null;
  return /^\s*[[{]/.test(text) ? parseJson(text) : parseCsv(text);
}
