// Items arrive as JSON objects or as rows of an uploaded CSV/JSON file; each must match the profile's input schema.
import { DomainError } from '@margin/core';
import { parse } from 'csv-parse/sync';
import { compileSchema } from '../pipeline/json-schema';

export class InvalidItemsError extends DomainError {
  readonly code = 'invalid_items';
  readonly httpStatus = 400;
  constructor(override readonly details: string[]) {
    super(details.join('; '));
  }
}

/** Every problem of every item, by index and field (at most `max` listed); an empty list means all are valid. */
export function validateItems(schema: Record<string, unknown>, items: unknown[], max = 100): string[] {
  const validator = compileSchema(schema);
  const problems: string[] = [];
  for (let i = 0; i < items.length && problems.length < max; i++) problems.push(...validator.problems(items[i], `items.${i}`));
  return problems.slice(0, max);
}

/** Reads a CSV (header row = field names) or JSON (an array, or `{items: [...]}`) upload into item objects. */
export function itemsFromFile(
  file: { originalname: string; mimetype: string; buffer: Buffer },
  schema: Record<string, unknown>,
): Array<Record<string, unknown>> {
  const text = file.buffer.toString('utf8').replace(/^\uFEFF/, '');
  const isJson = /json/.test(file.mimetype) || /\.jsonl?$/i.test(file.originalname) || /^\s*[[{]/.test(text);
  if (isJson) {
    let parsed: unknown;
    try {
      parsed = /\.jsonl$/i.test(file.originalname)
        ? text
            .split('\n')
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as unknown)
        : (JSON.parse(text) as unknown);
    } catch (err) {
      throw new InvalidItemsError([`file is not valid JSON: ${(err as Error).message}`]);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { items?: unknown }).items;
    if (!Array.isArray(list)) throw new InvalidItemsError(['file must hold a JSON array of items or {"items": [...]}']);
    return list as Array<Record<string, unknown>>;
  }
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, relax_column_count: false }) as Array<Record<string, string>>;
  } catch (err) {
    throw new InvalidItemsError([`file is not valid CSV: ${(err as Error).message}`]);
  }
  const props = (schema.properties ?? {}) as Record<string, { type?: string | string[] }>;
  // CSV cells are text: convert to the type the schema asks for (arrays are ;-separated).
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => {
          const type = props[k]?.type;
          const t = Array.isArray(type) ? type.find((x) => x !== 'null') : type;
          if (t === 'array')
            return [
              k,
              v
                .split(';')
                .map((s) => s.trim())
                .filter(Boolean),
            ];
          if (t === 'integer' || t === 'number') return [k, Number(v)];
          if (t === 'boolean') return [k, /^(true|1|yes)$/i.test(v)];
          return [k, v];
        }),
    ),
  );
}
