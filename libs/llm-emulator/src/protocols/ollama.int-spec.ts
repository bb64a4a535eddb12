import { Ollama } from 'ollama';
import { createEmulator, type Emulator } from '../server';
import { validateJsonSchema } from '../schema-validator';

const SCHEMA = {
  type: 'object',
  properties: {
    title: { type: 'string' },
    mood: { type: 'string', enum: ['joyful', 'melancholic'] },
    themes: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 4 },
    year: { type: 'integer', minimum: 1960, maximum: 1970 },
  },
  required: ['title', 'mood', 'themes', 'year'],
  additionalProperties: false,
};
const MESSAGES = [
  { role: 'system', content: 'You are a music critic.' },
  { role: 'user', content: 'Analyze the song "Yesterday" by the Beatles.' },
];

interface OllamaError {
  name: string;
  status_code: number;
  error: string;
}

describe('Ollama protocol (official ollama SDK)', () => {
  let emu: Emulator;
  let url: string;
  let ollama: Ollama;
  const withHeaders = (headers: Record<string, string>): Ollama => new Ollama({ host: url, headers });

  beforeAll(async () => {
    emu = createEmulator({ timeScale: 0 });
    ({ url } = await emu.listen(0));
    ollama = new Ollama({ host: url });
  });
  afterAll(() => emu.close());

  it('lists the configured models (/api/tags) and answers /api/version', async () => {
    const { models } = await ollama.list();
    expect(models.map((m) => m.name)).toEqual([
      'qwen3:8b',
      'llama3.1:8b',
      'mistral:7b',
      'gpt-4o-mini:latest',
      'gpt-4.1-mini:latest',
      'gpt-4o:latest',
      'claude-haiku-4-5:latest',
      'claude-sonnet-4-5:latest',
    ]);
    expect(models[0]!.details.family).toBe('qwen3');
    expect(models[0]!.digest).toMatch(/^[0-9a-f]{64}$/);
    const { version } = await ollama.version();
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers a fine-tuned model named after its base like the base, and shows the base as its parent', async () => {
    const r = await ollama.chat({ model: 'qwen3-songs:8b', messages: MESSAGES, stream: false, format: SCHEMA });
    expect(r.model).toBe('qwen3-songs:8b');
    expect(validateJsonSchema(SCHEMA, JSON.parse(r.message.content))).toEqual([]);
    expect((await ollama.show({ model: 'qwen3-songs:8b' })).details.parent_model).toBe('qwen3:8b');
  });

  it('answers chat (non-stream) with prompt_eval_count, eval_count and durations', async () => {
    const r = await ollama.chat({ model: 'qwen3:8b', messages: MESSAGES, stream: false });
    expect(r.done).toBe(true);
    expect(r.done_reason).toBe('stop');
    expect(r.message.role).toBe('assistant');
    expect(r.message.content.length).toBeGreaterThan(20);
    expect(r.prompt_eval_count).toBeGreaterThan(0);
    expect(r.eval_count).toBeGreaterThan(0);
    for (const d of [r.total_duration, r.load_duration, r.prompt_eval_duration, r.eval_duration]) expect(typeof d).toBe('number');
    expect(r.total_duration).toBeGreaterThan(0);
  });

  it('streams NDJSON chunks ending with done and the counts', async () => {
    const plain = await ollama.chat({ model: 'llama3.1:8b', messages: MESSAGES, stream: false });
    const stream = await ollama.chat({ model: 'llama3.1:8b', messages: MESSAGES, stream: true });
    let text = '';
    let parts = 0;
    let last: { done: boolean; eval_count: number; prompt_eval_count: number; done_reason: string } | undefined;
    for await (const part of stream) {
      parts++;
      text += part.message.content;
      last = part;
    }
    expect(parts).toBeGreaterThan(3);
    expect(text).toBe(plain.message.content);
    expect(last).toMatchObject({ done: true, done_reason: 'stop', eval_count: plain.eval_count, prompt_eval_count: plain.prompt_eval_count });
  });

  it('returns JSON valid against `format` (JSON schema) and any object for format "json"', async () => {
    const r = await ollama.chat({ model: 'qwen3:8b', messages: MESSAGES, format: SCHEMA, stream: false });
    expect(validateJsonSchema(SCHEMA, JSON.parse(r.message.content))).toEqual([]);
    const j = await ollama.chat({
      model: 'mistral:7b',
      messages: [{ role: 'user', content: 'Give me JSON with "title" and "tags".' }],
      format: 'json',
      stream: false,
    });
    expect(Object.keys(JSON.parse(j.message.content) as object)).toEqual(['title', 'tags']);
  });

  it('honours num_predict with done_reason length', async () => {
    const r = await ollama.chat({ model: 'qwen3:8b', messages: MESSAGES, options: { num_predict: 4 }, stream: false });
    expect(r.done_reason).toBe('length');
    expect(r.eval_count).toBe(4);
  });

  it('answers /api/generate', async () => {
    const r = await ollama.generate({
      model: 'qwen3:8b',
      system: 'You are a music critic.',
      prompt: 'Analyze the song "Yesterday" by the Beatles.',
      stream: false,
    });
    const chat = await ollama.chat({ model: 'qwen3:8b', messages: MESSAGES, stream: false });
    expect(r.response).toBe(chat.message.content);
    expect(r.prompt_eval_count).toBe(chat.prompt_eval_count);
    expect(r.eval_count).toBe(chat.eval_count);
  });

  it('answers errors as {error} with the right status', async () => {
    const missing = (await ollama.chat({ model: 'nope:1b', messages: MESSAGES, stream: false }).catch((e: unknown) => e)) as OllamaError;
    expect(missing.name).toBe('ResponseError');
    expect(missing.status_code).toBe(404);
    expect(missing.error).toBe('model "nope:1b" not found, try pulling it first');
    const e500 = (await withHeaders({ 'x-emulator-fault': '500' })
      .chat({ model: 'qwen3:8b', messages: MESSAGES, stream: false })
      .catch((e: unknown) => e)) as OllamaError;
    expect(e500.status_code).toBe(500);
    const e401 = (await withHeaders({ 'x-emulator-fault': '401' })
      .chat({ model: 'qwen3:8b', messages: MESSAGES, stream: false })
      .catch((e: unknown) => e)) as OllamaError;
    expect(e401.status_code).toBe(401);
    const e429 = (await withHeaders({ 'x-emulator-fault': '429' })
      .chat({ model: 'qwen3:8b', messages: MESSAGES, stream: false })
      .catch((e: unknown) => e)) as OllamaError;
    expect(e429.status_code).toBe(429);
  });

  it('cuts a stream mid-way: iteration fails before the final done chunk', async () => {
    const stream = await withHeaders({ 'x-emulator-fault': 'stream-cut' }).chat({ model: 'qwen3:8b', messages: MESSAGES, stream: true });
    let sawDone = false;
    let parts = 0;
    const consume = async (): Promise<void> => {
      for await (const part of stream) {
        parts++;
        sawDone = sawDone || part.done;
      }
    };
    await expect(consume()).rejects.toThrow();
    expect(parts).toBeGreaterThan(0);
    expect(sawDone).toBe(false);
  });

  it('returns unparseable content for malformed-json', async () => {
    const r = await withHeaders({ 'x-emulator-fault': 'malformed-json' }).chat({ model: 'qwen3:8b', messages: MESSAGES, format: SCHEMA, stream: false });
    expect(() => JSON.parse(r.message.content) as unknown).toThrow();
  });
});
