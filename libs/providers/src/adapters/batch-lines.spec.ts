import type { ChatRequest } from '../llm-provider';
import { InvalidOutputError } from '../provider-errors';
import { openaiBatchLine, parseAnthropicResults, parseJsonl, parseOpenAiBatchFiles, type ReadAnswer } from './batch-lines';

const REQ: ChatRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const requests = new Map([
  ['a', REQ],
  ['b', REQ],
  ['c', REQ],
  ['d', REQ],
]);
/** Reads `{text}` bodies; a body with `bad` breaks its schema. */
const read: ReadAnswer = (body) => {
  const b = body as { text: string; bad?: boolean };
  if (b.bad) throw new InvalidOutputError('p', 'answer does not match the schema', b.text);
  return { text: b.text, usage: { inputTokens: 3, outputTokens: 2, cachedInputTokens: 0, reasoningTokens: 0 }, model: 'gpt-4o-mini', finishReason: 'stop' };
};

describe('batch wire formats', () => {
  it('writes one OpenAI input line per request', () => {
    expect(JSON.parse(openaiBatchLine('r1', { model: 'gpt-4o-mini' }))).toEqual({
      custom_id: 'r1',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini' },
    });
  });

  it('splits JSONL, skipping blank lines and naming the bad ones', () => {
    expect(parseJsonl('{"a":1}\n\n[1]\nnope\n{"b":2}\n')).toEqual({ rows: [{ a: 1 }, { b: 2 }], bad: [3, 4] });
  });

  it('reads OpenAI output and error files: answers, HTTP errors, expired and missing requests', () => {
    const output = [
      { id: 'batch_req_1', custom_id: 'a', response: { status_code: 200, request_id: 'x', body: { text: 'ok' } }, error: null },
      { id: 'batch_req_2', custom_id: 'zzz', response: { status_code: 200, request_id: 'x', body: { text: 'not ours' } }, error: null },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
    const errors = [
      {
        id: 'batch_req_3',
        custom_id: 'b',
        response: { status_code: 400, request_id: 'y', body: { error: { message: 'bad', code: 'invalid_value' } } },
        error: null,
      },
      {
        id: 'batch_req_4',
        custom_id: 'c',
        response: null,
        error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
      },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
    const results = parseOpenAiBatchFiles(output, errors, requests, read, true);
    expect(results).toEqual([
      {
        customId: 'a',
        outcome: 'succeeded',
        result: expect.objectContaining({ text: 'ok', emulated: true, usage: expect.objectContaining({ inputTokens: 3 }) }),
      },
      { customId: 'b', outcome: 'errored', error: 'HTTP 400: invalid_value: bad', retryable: false },
      { customId: 'c', outcome: 'expired', error: expect.stringContaining('batch_expired'), retryable: true },
      { customId: 'd', outcome: 'expired', error: 'the batch ended without an answer for this request', retryable: true },
    ]);
  });

  it('treats 5xx and 429 lines as retryable, and an answer that breaks its schema as invalid output', () => {
    const errors = JSON.stringify({ custom_id: 'a', response: { status_code: 500, body: { error: { message: 'boom', type: 'server_error' } } }, error: null });
    const output = JSON.stringify({ custom_id: 'b', response: { status_code: 200, body: { text: '{', bad: true } }, error: null });
    const [a, b] = parseOpenAiBatchFiles(
      output,
      errors,
      new Map([
        ['a', REQ],
        ['b', REQ],
      ]),
      read,
      false,
    );
    expect(a).toMatchObject({ outcome: 'errored', retryable: true });
    expect(b).toMatchObject({ outcome: 'invalid_output', retryable: true, error: 'answer does not match the schema' });
  });

  it('reads Anthropic result lines: succeeded, errored (by type), expired, canceled', () => {
    const lines = [
      { custom_id: 'a', result: { type: 'succeeded', message: { text: 'fine' } } },
      { custom_id: 'b', result: { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: too big' } } } },
      { custom_id: 'c', result: { type: 'errored', error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } } },
      { custom_id: 'd', result: { type: 'canceled' } },
    ];
    expect(parseAnthropicResults(lines, requests, read, false)).toEqual([
      { customId: 'a', outcome: 'succeeded', result: expect.objectContaining({ text: 'fine', latencyMs: 0 }) },
      { customId: 'b', outcome: 'errored', error: 'invalid_request_error: max_tokens: too big', retryable: false },
      { customId: 'c', outcome: 'errored', error: 'overloaded_error: Overloaded', retryable: true },
      { customId: 'd', outcome: 'canceled', error: expect.any(String), retryable: true },
    ]);
    expect(parseAnthropicResults([{ custom_id: 'a', result: { type: 'expired' } }], new Map([['a', REQ]]), read, false)).toEqual([
      { customId: 'a', outcome: 'expired', error: expect.any(String), retryable: true },
    ]);
  });
});
