// From the file's columns to the profile's input fields: which column feeds which field, the items that
// mapping produces, and every problem each item has before it is sent.
import { fieldProblems, type InputField } from './inputSchema';
import type { ItemsFormat, ParsedItems, SourceRow } from './itemsInput';

/** Field name → column name ('' for none). */
export type ColumnMapping = Record<string, string>;

function normalise(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

/** Each field takes the column with its name (ignoring case, spaces, dashes and underscores), if there is one. */
export function autoMap(fields: InputField[], columns: string[]): ColumnMapping {
  const mapping: ColumnMapping = {};
  for (const field of fields) {
    const exact = columns.find((column) => column === field.name);
    const loose = columns.find((column) => normalise(column) === normalise(field.name));
    mapping[field.name] = exact ?? loose ?? '';
  }
  return mapping;
}

/** CSV cells are text: turn them into the type the field asks for, as the API does with an uploaded CSV. */
function fromCell(field: InputField, cell: string): unknown {
  const type = field.types.find((t) => t !== 'null');
  switch (type) {
    case 'array':
      return cell
        .split(';')
        .map((part) => part.trim())
        .filter(Boolean);
    case 'integer':
    case 'number': {
      const number = Number(cell);
      // Left as text, so the check says "must be a number" instead of sending NaN.
      return Number.isFinite(number) ? number : cell;
    }
    case 'boolean':
      if (/^(true|1|yes)$/i.test(cell)) return true;
      if (/^(false|0|no)$/i.test(cell)) return false;
      return cell;
    case 'string':
    case 'object':
    case undefined:
      return cell;
  }
}

export interface MappedItem {
  index: number;
  line: number | null;
  item: Record<string, unknown>;
  problems: string[];
}

export function mapItems(format: ItemsFormat, rows: SourceRow[], fields: InputField[], mapping: ColumnMapping): MappedItem[] {
  return rows.map((row) => {
    const item: Record<string, unknown> = {};
    for (const field of fields) {
      const column = mapping[field.name];
      if (!column) continue;
      const value = row.values[column];
      if (value === undefined) continue;
      if (format === 'csv') {
        // An empty cell is a missing value, as in the API's CSV reader.
        if (value === '') continue;
        item[field.name] = fromCell(field, String(value));
      } else {
        item[field.name] = value;
      }
    }
    // A required field with no column is reported once, at the mapping, not on every row.
    const checked = fields.filter((field) => !(field.required && !mapping[field.name]));
    const problems = [...row.problems, ...checked.flatMap((field) => fieldProblems(field, item[field.name]))];
    return { index: row.index, line: row.line, item, problems };
  });
}

/** Required fields without a column: nothing can be sent until each has one. */
export function unmappedRequired(fields: InputField[], mapping: ColumnMapping): InputField[] {
  return fields.filter((field) => field.required && !mapping[field.name]);
}

/** Columns no field reads: shown so nobody is surprised their data was left out. */
export function unusedColumns(parsed: Extract<ParsedItems, { ok: true }>, mapping: ColumnMapping): string[] {
  const used = new Set(Object.values(mapping).filter(Boolean));
  return parsed.columns.filter((column) => !used.has(column));
}

/** "Item 3 (line 5)": items are numbered as the API numbers them (items.3), with the line to find it by. */
export function itemLabel(item: { index: number; line: number | null }): string {
  return item.line === null ? `Item ${item.index}` : `Item ${item.index} (line ${item.line})`;
}
