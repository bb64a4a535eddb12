import type { LlmCallView } from '@margin/contracts';

const COLUMNS: Array<[header: string, value: (call: LlmCallView) => string | number | boolean | null]> = [
  ['id', (c) => c.id],
  ['createdAt', (c) => c.createdAt],
  ['jobId', (c) => c.jobId],
  ['itemId', (c) => c.itemId],
  ['operation', (c) => c.operation],
  ['provider', (c) => c.provider],
  ['model', (c) => c.model],
  ['inputTokens', (c) => c.inputTokens],
  ['cachedInputTokens', (c) => c.cachedInputTokens],
  ['outputTokens', (c) => c.outputTokens],
  ['reasoningTokens', (c) => c.reasoningTokens],
  ['costUsd', (c) => c.costUsd],
  ['latencyMs', (c) => c.latencyMs],
  ['outcome', (c) => c.outcome],
  ['error', (c) => c.error],
  ['routingReason', (c) => c.routingReason],
  ['fallbackFrom', (c) => c.fallbackFrom],
  ['emulated', (c) => c.emulated],
];

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // Quote what would break the row, and defuse spreadsheet formulas in free text.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** RFC 4180 CSV of ledger rows, one line per call, CRLF line ends. */
export function callsToCsv(calls: LlmCallView[]): string {
  const lines = [COLUMNS.map(([header]) => header).join(',')];
  for (const call of calls) lines.push(COLUMNS.map(([, value]) => cell(value(call))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Saves text as a file through a temporary Blob link. */
export function downloadText(text: string, filename: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Give the browser a moment to start the download before the URL goes away.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
