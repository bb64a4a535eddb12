// The batch tiers' wire formats, kept pure so they are tested without a server: OpenAI's JSONL input lines and
// output/error file lines, Anthropic's batch request entries and result lines.
import type { BatchItemResult, ChatRequest, ChatResult, FinishReason, TokenUsage } from '../llm-provider';
import { InvalidOutputError } from '../provider-errors';

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One JSONL line of an OpenAI batch input file. */
export function openaiBatchLine(customId: string, body: unknown): string {
  return JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body });
}

/** Splits a JSONL text into parsed objects; a line that is not a JSON object is reported with its number. */
export function parseJsonl(text: string): { rows: Json[]; bad: number[] } {
  const rows: Json[] = [];
  const bad: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const v = JSON.parse(line) as unknown;
      if (isRecord(v)) rows.push(v);
      else bad.push(i + 1);
    } catch {
      bad.push(i + 1);
    }
  });
  return { rows, bad };
}

/** What a successful answer turns into: the adapter's own reading of a live response body. */
export type ReadAnswer = (
  body: unknown,
  request: ChatRequest,
) => { text: string; json?: unknown; usage: TokenUsage; model: string; finishReason: FinishReason };

function succeeded(customId: string, request: ChatRequest, body: unknown, read: ReadAnswer, emulated: boolean): BatchItemResult {
  try {
    const parts = read(body, request);
    const result: ChatResult = { ...parts, latencyMs: 0, rateLimit: {}, emulated };
    return { customId, outcome: 'succeeded', result };
  } catch (e) {
    // an answer that breaks its schema gets the live path's repair; anything else unreadable is retried too
    const message = e instanceof InvalidOutputError ? e.message : `unreadable answer: ${(e as Error).message}`;
    return { customId, outcome: 'invalid_output', error: message, retryable: true };
  }
}

function errorText(v: unknown): string {
  if (isRecord(v)) {
    const inner = isRecord(v['error']) ? v['error'] : v;
    const msg = inner['message'];
    const code = inner['code'] ?? inner['type'];
    if (typeof msg === 'string') return typeof code === 'string' ? `${code}: ${msg}` : msg;
  }
  return JSON.stringify(v);
}

/** 4xx answers (other than rate limits) would fail live too; everything else may be retried. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * The results of an OpenAI batch from its output and error files. Every request of `requests` gets one
 * result: a line of neither file (a failed or cancelled batch) is `expired`.
 */
export function parseOpenAiBatchFiles(
  output: string,
  errors: string,
  requests: ReadonlyMap<string, ChatRequest>,
  read: ReadAnswer,
  emulated: boolean,
): BatchItemResult[] {
  const seen = new Map<string, BatchItemResult>();
  for (const row of [...parseJsonl(output).rows, ...parseJsonl(errors).rows]) {
    const customId = row['custom_id'];
    if (typeof customId !== 'string' || seen.has(customId)) continue;
    const request = requests.get(customId);
    if (!request) continue;
    const response = isRecord(row['response']) ? row['response'] : null;
    const status = response && typeof response['status_code'] === 'number' ? response['status_code'] : null;
    if (response && status !== null && status >= 200 && status < 300) {
      seen.set(customId, succeeded(customId, request, response['body'], read, emulated));
      continue;
    }
    const error = isRecord(row['error']) ? row['error'] : null;
    const code = error && typeof error['code'] === 'string' ? error['code'] : null;
    if (code === 'batch_expired') seen.set(customId, { customId, outcome: 'expired', error: errorText(error), retryable: true });
    else if (code === 'batch_cancelled') seen.set(customId, { customId, outcome: 'canceled', error: errorText(error), retryable: true });
    else
      seen.set(customId, {
        customId,
        outcome: 'errored',
        error: status !== null ? `HTTP ${status}: ${errorText(response?.['body'])}` : errorText(error ?? row),
        retryable: status === null || retryableStatus(status),
      });
  }
  return [...requests.keys()].map(
    (customId) => seen.get(customId) ?? { customId, outcome: 'expired', error: 'the batch ended without an answer for this request', retryable: true },
  );
}

/** The results of an Anthropic message batch from its results stream's lines. */
export function parseAnthropicResults(
  lines: readonly unknown[],
  requests: ReadonlyMap<string, ChatRequest>,
  read: ReadAnswer,
  emulated: boolean,
): BatchItemResult[] {
  const seen = new Map<string, BatchItemResult>();
  for (const line of lines) {
    if (!isRecord(line) || typeof line['custom_id'] !== 'string' || !isRecord(line['result'])) continue;
    const customId = line['custom_id'];
    const request = requests.get(customId);
    if (!request || seen.has(customId)) continue;
    const r = line['result'];
    switch (r['type']) {
      case 'succeeded':
        seen.set(customId, succeeded(customId, request, r['message'], read, emulated));
        break;
      case 'errored': {
        const inner = isRecord(r['error']) && isRecord(r['error']['error']) ? r['error']['error'] : r['error'];
        const type = isRecord(inner) && typeof inner['type'] === 'string' ? inner['type'] : 'api_error';
        // invalid_request_error would fail live too; api_error, overloaded_error, rate limits may not
        seen.set(customId, {
          customId,
          outcome: 'errored',
          error: errorText(inner),
          retryable: type !== 'invalid_request_error' && type !== 'authentication_error',
        });
        break;
      }
      case 'expired':
        seen.set(customId, { customId, outcome: 'expired', error: 'the request expired before it ran', retryable: true });
        break;
      default:
        seen.set(customId, { customId, outcome: 'canceled', error: 'the batch was canceled before the request ran', retryable: true });
    }
  }
  return [...requests.keys()].map(
    (customId) => seen.get(customId) ?? { customId, outcome: 'expired', error: 'the batch ended without an answer for this request', retryable: true },
  );
}
