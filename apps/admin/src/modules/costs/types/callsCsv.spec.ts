import type { LlmCallView } from '@margin/contracts';
import Papa from 'papaparse';
import { callsToCsv } from './callsCsv';

const call = (over: Partial<LlmCallView>): LlmCallView => ({
  id: 'c1',
  createdAt: '2026-03-01T00:00:00.000Z',
  jobId: null,
  itemId: null,
  operation: 'analyze',
  provider: 'ollama',
  model: 'llama3:8b',
  inputTokens: 10,
  cachedInputTokens: 0,
  outputTokens: 5,
  reasoningTokens: 0,
  costUsd: 0.0001,
  latencyMs: 120,
  outcome: 'success',
  error: null,
  routingReason: 'cheapest',
  fallbackFrom: null,
  emulated: true,
  ...over,
});

describe('callsToCsv', () => {
  it('writes a header and one CRLF-ended line per call, quoting what would break a row', () => {
    const csv = callsToCsv([call({ error: 'bad "json", line\n2' })]);
    expect(csv.endsWith('\r\n')).toBe(true);
    const [header, row, ...rest] = csv.split('\r\n');
    expect(header).toBe(
      'id,createdAt,jobId,itemId,operation,provider,model,inputTokens,cachedInputTokens,outputTokens,reasoningTokens,costUsd,latencyMs,outcome,error,routingReason,fallbackFrom,emulated',
    );
    expect(row).toContain(',"bad ""json"", line\n2",');
    expect(rest).toEqual(['']);
  });

  it('defuses text a spreadsheet would run as a formula, and leaves numbers alone', () => {
    const formulas = ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '=a\nb'];
    const csv = callsToCsv(formulas.map((f) => call({ error: f, latencyMs: -1 })));
    const rows = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true }).data;
    expect(rows.map((r) => r['error'])).toEqual(formulas.map((f) => `'${f}`));
    expect(rows.map((r) => r['latencyMs'])).toEqual(formulas.map(() => '-1'));
  });
});
