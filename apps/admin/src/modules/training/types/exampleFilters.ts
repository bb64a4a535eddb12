// The filter form of the Training page and the query strings it becomes (examples, exports, datasets share them).
import type { ExampleFiltersQuery, ExportFormat } from '@margin/contracts';

export interface ExampleFilterForm {
  profile: string;
  operation: string;
  model: string;
  /** '' or '1'..'5'. */
  minRating: string;
  approvedOnly: boolean;
  /** Calendar days (YYYY-MM-DD, UTC), both inclusive; '' for open. */
  from: string;
  to: string;
}

export const EMPTY_FILTERS: ExampleFilterForm = { profile: '', operation: '', model: '', minRating: '', approvedOnly: false, from: '', to: '' };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The day after a YYYY-MM-DD day, at midnight UTC: the API's `to` is exclusive, the form's last day is included. */
function dayAfter(day: string): string {
  const date = new Date(`${day}T00:00:00.000Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString();
}

/** The API's filters from the form: blanks left out, dates as UTC midnights (the last day included). */
export function filtersQuery(form: ExampleFilterForm): ExampleFiltersQuery {
  const query: ExampleFiltersQuery = {};
  if (form.profile.trim()) query.profile = form.profile.trim();
  if (form.operation.trim()) query.operation = form.operation.trim();
  if (form.model.trim()) query.model = form.model.trim();
  if (form.minRating) query.minRating = Number(form.minRating);
  if (form.approvedOnly) query.approvedOnly = true;
  if (DAY.test(form.from)) query.from = `${form.from}T00:00:00.000Z`;
  if (DAY.test(form.to)) query.to = dayAfter(form.to);
  return query;
}

/** A problem with the form the API would refuse, or null. */
export function filtersProblem(form: ExampleFilterForm): string | null {
  if (DAY.test(form.from) && DAY.test(form.to) && form.from > form.to) return 'The first day must not be after the last day.';
  return null;
}

type QueryValue = string | number | boolean | undefined;

/** `?a=1&b=x` from the defined values, in the order given; '' when there are none. */
export function toSearch(params: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface ExportOptions {
  format: ExportFormat;
  /** One example per input (the best rated). */
  dedupe: boolean;
  /** Share of examples in the train part (0.01–0.99), or none for a single file. */
  split?: number;
}

/** The export's query for one file: the filters, the format and options, and with a split the part. */
export function exportSearch(filters: ExampleFiltersQuery, options: ExportOptions, part?: 'train' | 'validation'): string {
  return toSearch({
    format: options.format,
    ...filters,
    dedupe: options.dedupe ? true : undefined,
    split: options.split,
    part: options.split === undefined ? undefined : part,
  });
}

/** The name the API gives the file (Content-Disposition), so the download is named the same. */
export function exportFilename(format: ExportFormat, part?: 'train' | 'validation'): string {
  return `training-${format}${part ? `-${part}` : ''}.jsonl`;
}
