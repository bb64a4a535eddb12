import type { Priority } from '@margin/contracts';

export type PriorityChoice = Priority | 'auto';

export const PRIORITY_CHOICES: Array<{ value: PriorityChoice; label: string }> = [
  { value: 'auto', label: 'Auto (by the priority rules)' },
  { value: 'high', label: 'High' },
  { value: 'medium', label: 'Medium' },
  { value: 'low', label: 'Low' },
];

export const MAX_BUDGET_USD = 1_000_000;

/** The optional per-job budget: empty is "no budget"; otherwise dollars with at most 6 decimals. */
export function parseBudget(text: string): { ok: true; value: number | undefined } | { ok: false; error: string } {
  const trimmed = text.trim().replace(/^\$/, '');
  if (trimmed === '') return { ok: true, value: undefined };
  if (!/^\d+(\.\d{1,6})?$/.test(trimmed)) {
    return { ok: false, error: 'Enter an amount in USD, like 2.50 (at most 6 decimals), or leave it empty.' };
  }
  const value = Number(trimmed);
  if (value > MAX_BUDGET_USD) return { ok: false, error: `The budget can be at most $${MAX_BUDGET_USD.toLocaleString('en-US')}.` };
  return { ok: true, value };
}

/** FNV-1a over the request's JSON: a short query key for a body that may hold thousands of items. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${(hash >>> 0).toString(16)}-${text.length}`;
}

/** A file's text; FileReader rather than Blob.text(), which older engines (and jsdom) lack. */
export function readFileText(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsText(file);
  });
}
