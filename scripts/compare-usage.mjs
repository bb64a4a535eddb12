// `npm run compare:usage`: the same request through each official SDK directly, then through Margin's
// provider adapters, against the LLM emulator; prints the usage each reports and whether they agree.
// Uses LLM_EMULATOR_URL when set (e.g. `npm run emulator` in another terminal), else starts one.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureDependencies, ROOT } from './lib/deps.mjs';

ensureDependencies();
const { build, EMULATOR_MAIN } = await import('./lib/build.mjs');
build(['api', 'llm-emulator']);
const require = createRequire(import.meta.url);
const { createProvider } = require(path.join(ROOT, 'dist/apps/api/libs/providers/src/index.js'));
const { default: OpenAI } = await import('openai');
const { default: Anthropic } = await import('@anthropic-ai/sdk');
const { Ollama } = await import('ollama');

let url = process.env.LLM_EMULATOR_URL;
let child;
if (!url) {
  child = spawn(process.execPath, [path.join(ROOT, EMULATOR_MAIN), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(JSON.parse(d.toString().split('\n')[0]).url)));
}

const system = 'You are a music analyst.';
const prompt = 'Summarize the themes of "Amazing Grace" by John Newton in two sentences.';
const maxTokens = 120;
const rows = [];

const openai = new OpenAI({ apiKey: 'emulator', baseURL: `${url}/v1`, maxRetries: 0 });
const o = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  max_tokens: maxTokens,
  messages: [
    { role: 'system', content: system },
    { role: 'user', content: prompt },
  ],
});
rows.push(['openai SDK', 'gpt-4o-mini', o.usage.prompt_tokens, o.usage.completion_tokens]);

const anthropic = new Anthropic({ apiKey: 'emulator', baseURL: url, maxRetries: 0 });
const a = await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: maxTokens, system, messages: [{ role: 'user', content: prompt }] });
rows.push(['@anthropic-ai/sdk', 'claude-haiku-4-5', a.usage.input_tokens, a.usage.output_tokens]);

const ollama = new Ollama({ host: url });
const l = await ollama.chat({
  model: 'qwen3:8b',
  options: { num_predict: maxTokens },
  messages: [
    { role: 'system', content: system },
    { role: 'user', content: prompt },
  ],
});
rows.push(['ollama SDK', 'qwen3:8b', l.prompt_eval_count, l.eval_count]);

const request = (model) => ({
  model,
  maxTokens,
  messages: [
    { role: 'system', content: system },
    { role: 'user', content: prompt },
  ],
});
for (const [kind, model, baseUrl] of [
  ['openai', 'gpt-4o-mini', `${url}/v1`],
  ['anthropic', 'claude-haiku-4-5', url],
  ['ollama', 'qwen3:8b', url],
]) {
  const provider = createProvider({ id: kind, kind, baseUrl, apiKey: 'emulator' });
  const r = await provider.chat(request(model));
  rows.push([`Margin ${kind} adapter`, model, r.usage.inputTokens, r.usage.outputTokens]);
  const s = provider.chatStream(request(model));
  for await (const event of s)
    if (event.type === 'done') rows.push([`Margin ${kind} adapter (stream)`, model, event.result.usage.inputTokens, event.result.usage.outputTokens]);
}

process.stdout.write(`emulator: ${url}\n\n${'client'.padEnd(34)}${'model'.padEnd(20)}${'input'.padStart(7)}${'output'.padStart(8)}\n`);
for (const [client, model, input, output] of rows)
  process.stdout.write(`${client.padEnd(34)}${model.padEnd(20)}${String(input).padStart(7)}${String(output).padStart(8)}\n`);
const same = rows.every((r) => r[2] === rows[0][2] && r[3] === rows[0][3]);
process.stdout.write(`\nidentical usage across SDKs and adapters: ${same ? 'yes' : 'NO'}\n`);
child?.kill();
process.exit(same ? 0 : 1);
