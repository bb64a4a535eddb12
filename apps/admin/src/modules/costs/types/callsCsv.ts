import type { LlmCallView } from '@margin/contracts';
import Papa from 'papaparse';

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

/**
 * RFC 4180 CSV of ledger rows (Papa Parse), one line per call, CRLF line ends. Free text that a spreadsheet
 * would run as a formula (starting with =, +, -, @, a tab or a CR) gets a leading `'`; numbers stay numbers.
 */
export function callsToCsv(calls: LlmCallView[]): string {
  const csv = Papa.unparse(
    { fields: COLUMNS.map(([header]) => header), data: calls.map((call) => COLUMNS.map(([, value]) => value(call))) },
    { newline: '\r\n', escapeFormulae: /^[=+\-@\t\r]/ },
  );
  return `${csv}\r\n`;
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
