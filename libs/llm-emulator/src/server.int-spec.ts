import Anthropic from '@anthropic-ai/sdk';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { EMULATOR_NAME, EMULATOR_VERSION } from './config';
import { createEmulator, type Emulator } from './server';
import { validateJsonSchema } from './schema-validator';

const SYSTEM = 'You are a concise music critic.';
const USER = 'What makes the song "Hallelujah" by Leonard Cohen so enduring?';
const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'themes', 'score'],
  properties: {
    summary: { type: 'string' },
    themes: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
    score: { type: 'number', minimum: 0, maximum: 10 },
  },
};

describe('emulator server (all protocols)', () => {
  let emu: Emulator;
  let url: string;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let ollama: Ollama;

  beforeAll(async () => {
    emu = createEmulator({
      timeScale: 0,
      models: [
        { name: 'one-slot', protocol: 'ollama', parallel: 1, maxQueue: 1 },
        { name: 'flaky', protocol: 'openai', faults: { '500': 0.5 } },
      ],
    });
    ({ url } = await emu.listen(0));
    openai = new OpenAI({ apiKey: 'k', baseURL: `${url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: 'k', baseURL: url, maxRetries: 0 });
    ollama = new Ollama({ host: url });
  });
  afterAll(() => emu.close());

  it('reports the same text and usage for the same prompt on all three protocols (any model)', async () => {
    for (const [o, a, l] of [
      ['gpt-4o-mini', 'claude-haiku-4-5', 'qwen3:8b'],
      ['qwen3:8b', 'qwen3:8b', 'qwen3:8b'],
    ] as const) {
      const oa = await openai.chat.completions.create({
        model: o,
        messages: [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: USER },
        ],
      });
      const an = await anthropic.messages.create({ model: a, max_tokens: 4096, system: SYSTEM, messages: [{ role: 'user', content: USER }] });
      const ol = await ollama.chat({
        model: l,
        messages: [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: USER },
        ],
        stream: false,
      });
      const anText = an.content[0]!.type === 'text' ? an.content[0]!.text : '';
      expect(anText).toBe(oa.choices[0]!.message.content);
      expect(ol.message.content).toBe(anText);
      expect(an.usage.input_tokens).toBe(oa.usage!.prompt_tokens);
      expect(ol.prompt_eval_count).toBe(oa.usage!.prompt_tokens);
      expect(an.usage.output_tokens).toBe(oa.usage!.completion_tokens);
      expect(ol.eval_count).toBe(oa.usage!.completion_tokens);
    }
  });

  it('returns the same schema-valid object through json_schema, Ollama format and Anthropic forced tool use', async () => {
    const oa = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: USER },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'review', schema: SCHEMA, strict: true } },
    });
    const an = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: SYSTEM,
      messages: [{ role: 'user', content: USER }],
      tools: [{ name: 'review', input_schema: SCHEMA as Anthropic.Tool.InputSchema }],
      tool_choice: { type: 'tool', name: 'review' },
    });
    const ol = await ollama.chat({
      model: 'mistral:7b',
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: USER },
      ],
      format: SCHEMA,
      stream: false,
    });
    const value = JSON.parse(oa.choices[0]!.message.content!) as unknown;
    expect(validateJsonSchema(SCHEMA, value)).toEqual([]);
    const block = an.content[0]!;
    expect(block.type === 'tool_use' && block.input).toEqual(value);
    expect(JSON.parse(ol.message.content)).toEqual(value);
    expect(an.usage.input_tokens).toBe(oa.usage!.prompt_tokens);
    expect(ol.prompt_eval_count).toBe(oa.usage!.prompt_tokens);
    expect(an.usage.output_tokens).toBe(oa.usage!.completion_tokens);
    expect(ol.eval_count).toBe(oa.usage!.completion_tokens);
  });

  it('identifies itself on GET / and marks every response with x-margin-emulator', async () => {
    const root = await fetch(`${url}/`);
    expect(root.headers.get('x-margin-emulator')).toBe('1');
    expect(await root.json()).toMatchObject({ emulator: EMULATOR_NAME, version: EMULATOR_VERSION });
    const version = await fetch(`${url}/api/version`);
    expect(version.headers.get('x-margin-emulator')).toBe('1');
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-margin-emulator')).toBe('1');
    const badJson = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect(badJson.headers.get('x-margin-emulator')).toBe('1');
    expect(await badJson.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const badAnthropic = await fetch(`${url}/v1/messages`, { method: 'POST', body: '{oops' });
    expect(await badAnthropic.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const noMaxTokens = await fetch(`${url}/v1/messages`, { method: 'POST', body: JSON.stringify({ model: 'claude-haiku-4-5', messages: [] }) });
    expect(noMaxTokens.status).toBe(400);
  });

  it('runs one request per slot and queues the rest first-in first-out (503 beyond the queue)', async () => {
    const call = (tag: string): Promise<{ tag: string; status: number; at: number }> =>
      fetch(`${url}/api/chat`, {
        method: 'POST',
        headers: { 'x-emulator-latency-ms': '150' },
        body: JSON.stringify({ model: 'one-slot', messages: [{ role: 'user', content: tag }], stream: false }),
      }).then(async (r) => {
        await r.text();
        return { tag, status: r.status, at: Date.now() };
      });
    const started = Date.now();
    const done: string[] = [];
    const a = call('a').then((r) => (done.push(r.tag), r));
    await new Promise((r) => setTimeout(r, 30));
    const b = call('b').then((r) => (done.push(r.tag), r));
    await new Promise((r) => setTimeout(r, 30));
    const c = await call('c'); // the queue (1) is full
    expect(c.status).toBe(503);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    expect(done).toEqual(['a', 'b']);
    expect(rb.at - started).toBeGreaterThanOrEqual(290);
    expect(emu.stats()['one-slot']).toMatchObject({ completed: 2, failed: 1, errors: { '503': 1 } });
  });

  it('paces streams by latency to first token and tokens per second', async () => {
    const started = Date.now();
    const stream = await openai.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Describe the sea in 60 words.' }], stream: true },
      { headers: { 'x-emulator-latency-ms': '100', 'x-emulator-tokens-per-second': '400' } },
    );
    let first = 0;
    let last = 0;
    let text = '';
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content ?? '';
      if (piece && !first) first = Date.now();
      if (piece) last = Date.now();
      text += piece;
    }
    const tokens = Math.ceil(text.length / 4);
    expect(first - started).toBeGreaterThanOrEqual(90);
    expect(last - first).toBeGreaterThanOrEqual((tokens / 400) * 1000 * 0.6);
  });

  it('injects faults at the configured rate, deterministically, and "none" disables them', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'flaky', messages: [{ role: 'user', content: 'hi' }] }),
      });
      statuses.push(r.status);
      await r.text();
    }
    const failures = statuses.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(2);
    expect(failures).toBeLessThan(18);
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'x-emulator-fault': 'none' },
        body: JSON.stringify({ model: 'flaky', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(r.status).toBe(200);
      await r.text();
    }
  });

  it('close() releases hung requests', async () => {
    const other = createEmulator({ timeScale: 0 });
    const { url: u } = await other.listen(0);
    const hung = fetch(`${u}/api/chat`, {
      method: 'POST',
      headers: { 'x-emulator-fault': 'hang' },
      body: JSON.stringify({ model: 'qwen3:8b', messages: [{ role: 'user', content: 'x' }], stream: false }),
    });
    const outcome = hung.then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    await other.close();
    expect(Date.now() - t).toBeLessThan(1000);
    expect(await outcome).toBe('dropped');
  });

  it('starts from the CLI with a config file and prints one JSON line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-cli-'));
    const config = join(dir, 'emulator.json');
    writeFileSync(config, JSON.stringify({ timeScale: 0, models: [{ name: 'cli-model', protocol: 'ollama' }] }));
    const root = resolve(__dirname, '../../..');
    const cli = `require(${JSON.stringify(join(__dirname, 'cli.ts'))}).runCli(['--port', '0'], process.env)`;
    const child = spawn(process.execPath, ['-r', 'ts-node/register', '-e', cli], {
      cwd: root,
      env: { ...process.env, LLM_EMULATOR_CONFIG: config, TS_NODE_PROJECT: join(__dirname, '../tsconfig.json'), TS_NODE_TRANSPILE_ONLY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolveLine, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolveLine(out.split('\n')[0]!);
        });
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      const started = JSON.parse(line) as { msg: string; url: string; models: string[] };
      expect(started.msg).toBe('llm-emulator listening');
      expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(started.models).toContain('cli-model');
      const tags = (await (await fetch(`${started.url}/api/tags`)).json()) as { models: Array<{ name: string }> };
      expect(tags.models.map((m) => m.name)).toContain('cli-model:latest');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }, 15_000);
});
