import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { createEmulator, type Emulator } from './server';

const SCHEMA = { type: 'object', additionalProperties: false, required: ['mood'], properties: { mood: { type: 'string', enum: ['joyful', 'calm'] } } };

function openaiLine(customId: string, model = 'gpt-4o-mini'): string {
  return JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: {
      model,
      messages: [{ role: 'user', content: `Song ${customId}: what is the mood?` }],
      response_format: { type: 'json_schema', json_schema: { name: 'mood', schema: SCHEMA, strict: true } },
    },
  });
}

/** A line of an output or error file, as the Batch API writes it. */
interface OutLine {
  id: string;
  custom_id: string;
  error: { code: string; message: string } | null;
  response: {
    status_code: number;
    request_id: string;
    body: { object: string; choices: Array<{ message: { content: string } }>; usage: { prompt_tokens: number }; error: { type: string } };
  } | null;
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Batch APIs (official openai and @anthropic-ai/sdk)', () => {
  let emu: Emulator;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    // one request a minute live: batch lines must not use the live buckets
    emu = createEmulator({ timeScale: 0, models: [{ name: 'gpt-4o-mini', protocol: 'openai', rpm: 1 }] });
    const { url } = await emu.listen(0);
    openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: url, maxRetries: 0 });
  });
  beforeEach(() => {
    emu.batches.reset();
    emu.batches.configure({ completionDelayMs: 100 });
  });
  afterAll(() => emu.close());

  async function submit(lines: string[]): Promise<OpenAI.Batches.Batch> {
    const file = await openai.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'in.jsonl', status: 'processed' });
    return openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { job: 'j1' } });
  }

  it('runs an OpenAI batch: validating → in_progress → completed, with the output file in the real line shape', async () => {
    const created = await submit(['a', 'b', 'c'].map((id) => openaiLine(id)));
    expect(created).toMatchObject({ object: 'batch', status: 'validating', endpoint: '/v1/chat/completions', metadata: { job: 'j1' }, output_file_id: null });
    const inProgress = await until(
      () => openai.batches.retrieve(created.id),
      (b) => b.status !== 'validating',
    );
    expect(inProgress.status).toBe('in_progress');
    const done = await until(
      () => openai.batches.retrieve(created.id),
      (b) => b.status === 'completed',
    );
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(done.error_file_id).toBeNull();
    expect(done.completed_at).toEqual(expect.any(Number));
    const text = await (await openai.files.content(done.output_file_id as string)).text();
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as OutLine);
    expect(lines.map((l) => l.custom_id)).toEqual(['a', 'b', 'c']);
    for (const l of lines) {
      expect(l.id).toMatch(/^batch_req_/);
      expect(l.error).toBeNull();
      expect(l.response?.status_code).toBe(200);
      expect(l.response?.request_id).toEqual(expect.any(String));
      expect(l.response?.body.object).toBe('chat.completion');
      expect(JSON.parse(l.response?.body.choices[0]?.message.content ?? 'null')).toEqual({ mood: expect.stringMatching(/joyful|calm/) });
      expect(l.response?.body.usage.prompt_tokens).toBeGreaterThan(0);
    }
    const listed = await openai.batches.list({ limit: 10 });
    expect(listed.data.map((b) => b.id)).toContain(created.id);
  });

  it('fails a batch whose file has a bad line, naming the line', async () => {
    const created = await submit([openaiLine('a'), '{not json', openaiLine('a')]);
    const failed = await until(
      () => openai.batches.retrieve(created.id),
      (b) => b.status === 'failed',
    );
    expect(failed.errors?.data).toEqual([
      expect.objectContaining({ code: 'invalid_json_line', line: 2 }),
      expect.objectContaining({ code: 'duplicate_custom_id', line: 3 }),
    ]);
  });

  it('reports partial failures in the error file and expired requests with batch_expired', async () => {
    emu.batches.configure({ failEvery: 2 });
    const partial = await submit(['a', 'b', 'c', 'd'].map((id) => openaiLine(id)));
    const done = await until(
      () => openai.batches.retrieve(partial.id),
      (b) => b.status === 'completed',
    );
    expect(done.request_counts).toEqual({ total: 4, completed: 2, failed: 2 });
    const errors = (await (await openai.files.content(done.error_file_id as string)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as OutLine);
    expect(errors.map((e) => [e.custom_id, e.response?.status_code])).toEqual([
      ['b', 500],
      ['d', 500],
    ]);
    expect(errors[0]?.response?.body.error.type).toBe('server_error');

    emu.batches.configure({ failEvery: 0, expireNext: 1 });
    const expiring = await submit(['a', 'b', 'c', 'd'].map((id) => openaiLine(id)));
    const expired = await until(
      () => openai.batches.retrieve(expiring.id),
      (b) => b.status === 'expired',
    );
    expect(expired.request_counts).toEqual({ total: 4, completed: 2, failed: 2 });
    const lost = (await (await openai.files.content(expired.error_file_id as string)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as OutLine);
    expect(lost).toEqual([
      expect.objectContaining({ custom_id: 'c', response: null, error: expect.objectContaining({ code: 'batch_expired' }) }),
      expect.objectContaining({ custom_id: 'd' }),
    ]);
  });

  it('cancels an OpenAI batch before it runs', async () => {
    emu.batches.configure({ completionDelayMs: 5_000 });
    const created = await submit([openaiLine('a')]);
    await until(
      () => openai.batches.retrieve(created.id),
      (b) => b.status === 'in_progress',
    );
    expect((await openai.batches.cancel(created.id)).status).toBe('cancelling');
    const cancelled = await until(
      () => openai.batches.retrieve(created.id),
      (b) => b.status === 'cancelled',
    );
    expect(cancelled.request_counts).toMatchObject({ total: 1, completed: 0, failed: 1 });
  });

  it('runs an Anthropic message batch and streams its results (succeeded, errored, expired)', async () => {
    emu.batches.configure({ failEvery: 3, expireNext: 1 });
    const params = (n: number): Anthropic.Messages.MessageCreateParamsNonStreaming => ({
      model: 'claude-haiku-4-5',
      max_tokens: 256,
      messages: [{ role: 'user', content: `Song ${n}` }],
      tools: [{ name: 'answer', description: 'the answer', input_schema: SCHEMA as Anthropic.Tool.InputSchema }],
      tool_choice: { type: 'tool', name: 'answer' },
    });
    const created = await anthropic.messages.batches.create({ requests: [1, 2, 3, 4, 5, 6].map((n) => ({ custom_id: `r${n}`, params: params(n) })) });
    expect(created).toMatchObject({ type: 'message_batch', processing_status: 'in_progress', results_url: null, request_counts: { processing: 6 } });
    const ended = await until(
      () => anthropic.messages.batches.retrieve(created.id),
      (b) => b.processing_status === 'ended',
    );
    expect(ended.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 3 });
    const results: Anthropic.Messages.Batches.MessageBatchIndividualResponse[] = [];
    for await (const r of await anthropic.messages.batches.results(created.id)) results.push(r);
    expect(results.map((r) => [r.custom_id, r.result.type])).toEqual([
      ['r1', 'succeeded'],
      ['r2', 'succeeded'],
      ['r3', 'errored'],
      ['r4', 'expired'],
      ['r5', 'expired'],
      ['r6', 'expired'],
    ]);
    const ok = results[0]?.result;
    if (ok?.type !== 'succeeded') throw new Error('expected a success');
    expect(ok.message.content[0]).toMatchObject({ type: 'tool_use', name: 'answer', input: { mood: expect.any(String) } });
    expect(ok.message.usage.input_tokens).toBeGreaterThan(0);
  });

  it('cancels an Anthropic batch: every request canceled', async () => {
    emu.batches.configure({ completionDelayMs: 5_000 });
    const created = await anthropic.messages.batches.create({
      requests: [{ custom_id: 'x', params: { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] } }],
    });
    expect((await anthropic.messages.batches.cancel(created.id)).processing_status).toBe('canceling');
    const ended = await until(
      () => anthropic.messages.batches.retrieve(created.id),
      (b) => b.processing_status === 'ended',
    );
    expect(ended.request_counts.canceled).toBe(1);
  });
});
