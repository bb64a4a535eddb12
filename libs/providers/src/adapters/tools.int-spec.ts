// Tools and the optional request fields through each adapter, against Margin's LLM emulator speaking the real
// OpenAI, Anthropic and Ollama protocols through the official SDKs.
import { createEmulator, validateJsonSchema, type Emulator } from '@margin/llm-emulator';
import type { ChatRequest, LlmMessage, LlmProvider, ToolDefinition } from '../llm-provider';
import { AnthropicProvider } from './anthropic.adapter';
import { OllamaProvider } from './ollama.adapter';
import { OpenAiProvider } from './openai.adapter';
import { collect, recordingFetch } from './test/provider-contract';
import type { AdapterOptions } from './adapter-support';

const WEATHER: ToolDefinition = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: {
    type: 'object',
    additionalProperties: false,
    required: ['city', 'unit'],
    properties: { city: { type: 'string', minLength: 1 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
  },
};
const TIME: ToolDefinition = {
  name: 'get_time',
  description: 'The local time in a city',
  parameters: { type: 'object', additionalProperties: false, required: ['city'], properties: { city: { type: 'string', minLength: 1 } } },
};
const TOOLS = [WEATHER, TIME];
const schemaOf = (name: string) => TOOLS.find((t) => t.name === name)?.parameters as Record<string, unknown>;

const BOTH: LlmMessage[] = [{ role: 'user', content: 'Use get_weather and get_time for Paris.' }];
const PLAIN: LlmMessage[] = [{ role: 'user', content: 'Tell me something about Paris in two sentences.' }];
const HISTORY: LlmMessage[] = [
  { role: 'system', content: 'You are a travel assistant.' },
  { role: 'user', content: 'What is the get_weather in Paris?' },
  { role: 'assistant', content: '', toolCalls: [{ id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }] },
  { role: 'tool', content: '{"temperature": 21, "sky": "clear"}', toolCallId: 'call_abc' },
];

interface Target {
  kind: 'openai' | 'anthropic' | 'ollama';
  model: string;
  create(url: string, options?: AdapterOptions): LlmProvider;
}
const TARGETS: Target[] = [
  { kind: 'openai', model: 'gpt-4o-mini', create: (url, o) => new OpenAiProvider({ id: 'openai', kind: 'openai', baseUrl: `${url}/v1`, apiKey: 'sk' }, o) },
  {
    kind: 'anthropic',
    model: 'claude-haiku-4-5',
    create: (url, o) => new AnthropicProvider({ id: 'anthropic', kind: 'anthropic', baseUrl: url, apiKey: 'k' }, o),
  },
  { kind: 'ollama', model: 'qwen3:8b', create: (url, o) => new OllamaProvider({ id: 'ollama', kind: 'ollama', baseUrl: url }, o) },
];

let emu: Emulator;
let url: string;
beforeAll(async () => {
  emu = createEmulator({ timeScale: 0 });
  url = (await emu.listen(0)).url;
});
afterAll(() => emu.close());

describe.each(TARGETS)('$kind adapter: tools', (target) => {
  const provider = () => target.create(url);
  const req = (r: Partial<ChatRequest>): ChatRequest => ({ model: target.model, messages: BOTH, tools: TOOLS, ...r });

  it('answers auto with a call of each tool the prompt names (parallel), arguments valid for their schemas', async () => {
    const result = await provider().chat(req({}));
    expect(result.finishReason).toBe('tool_use');
    expect(result.toolCalls?.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
    for (const call of result.toolCalls ?? []) {
      expect(call.id).toMatch(/\S{6,}/);
      expect(validateJsonSchema(schemaOf(call.name), JSON.parse(call.arguments))).toEqual([]);
    }
    expect(new Set(result.toolCalls?.map((c) => c.id)).size).toBe(2);
  });

  it('calls the named function, and any tool under required', async () => {
    const named = await provider().chat(req({ toolChoice: { name: 'get_time' }, messages: PLAIN }));
    expect(named.toolCalls?.map((c) => c.name)).toEqual(['get_time']);
    expect(validateJsonSchema(TIME.parameters, JSON.parse(named.toolCalls?.[0]?.arguments ?? 'null'))).toEqual([]);
    const required = await provider().chat(req({ toolChoice: 'required', messages: PLAIN }));
    expect(required.toolCalls?.length).toBeGreaterThanOrEqual(1);
    const call = required.toolCalls?.[0];
    expect(['get_weather', 'get_time']).toContain(call?.name);
    expect(validateJsonSchema(schemaOf(call?.name ?? ''), JSON.parse(call?.arguments ?? 'null'))).toEqual([]);
  });

  it('answers in words under none, and after the tool results of its calls', async () => {
    const none = await provider().chat(req({ toolChoice: 'none' }));
    expect(none.toolCalls).toBeUndefined();
    expect(none.finishReason).toBe('stop');
    expect(none.text.length).toBeGreaterThan(10);
    const after = await provider().chat(req({ messages: HISTORY }));
    expect(after.toolCalls).toBeUndefined();
    expect(after.finishReason).toBe('stop');
    expect(after.text.length).toBeGreaterThan(10);
  });

  it('streams tool-call deltas that add up to the calls of the final result', async () => {
    const { events, done } = await collect(provider().chatStream(req({})));
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    for (const e of events) {
      if (e.type !== 'tool_call') continue;
      const c = calls.get(e.delta.index) ?? { id: '', name: '', arguments: '' };
      calls.set(e.delta.index, { id: e.delta.id ?? c.id, name: e.delta.name ?? c.name, arguments: c.arguments + e.delta.arguments });
    }
    const result = done[0];
    expect(result?.finishReason).toBe('tool_use');
    expect([...calls.values()]).toEqual(result?.toolCalls);
    expect(result?.toolCalls?.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
    expect(events.some((e) => e.type === 'delta' && e.text.length > 0)).toBe(false);
  });

  it('sends the tool turns of the history in the protocol’s own shape', async () => {
    const rec = recordingFetch();
    await target.create(url, { fetch: rec.fetch }).chat(req({ messages: HISTORY, toolChoice: 'auto' }));
    const body = rec.bodies[0] as Record<string, unknown>;
    const messages = body['messages'] as Array<Record<string, unknown>>;
    if (target.kind === 'openai') {
      expect(messages.slice(2)).toEqual([
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_abc', content: '{"temperature": 21, "sky": "clear"}' },
      ]);
      expect(body['tools']).toEqual(TOOLS.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })));
      expect(body['tool_choice']).toBe('auto');
    } else if (target.kind === 'anthropic') {
      expect(messages.slice(1)).toEqual([
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_abc', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_abc', content: '{"temperature": 21, "sky": "clear"}' }] },
      ]);
      expect(body['system']).toBe('You are a travel assistant.');
      expect(body['tools']).toEqual(TOOLS.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })));
      expect(body['tool_choice']).toEqual({ type: 'auto' });
    } else {
      expect(messages.slice(2)).toEqual([
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } } }] },
        { role: 'tool', content: '{"temperature": 21, "sky": "clear"}', tool_name: 'get_weather' },
      ]);
      expect(body['tools']).toEqual(TOOLS.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })));
    }
  });
});

describe('tool_choice and the optional fields on the wire', () => {
  it('OpenAI: passes every field as OpenAI names it', async () => {
    const rec = recordingFetch();
    const p = TARGETS[0]?.create(url, { fetch: rec.fetch }) as LlmProvider;
    await p.chat({
      model: 'gpt-4o-mini',
      messages: BOTH,
      tools: TOOLS,
      toolChoice: { name: 'get_time' },
      parallelToolCalls: false,
      n: 2,
      stop: ['END'],
      logprobs: true,
      topLogprobs: 2,
      seed: 7,
      user: 'u-1',
      metadata: { team: 'a' },
      serviceTier: 'default',
    });
    expect(rec.bodies[0]).toMatchObject({
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      parallel_tool_calls: false,
      n: 2,
      stop: ['END'],
      logprobs: true,
      top_logprobs: 2,
      seed: 7,
      user: 'u-1',
      metadata: { team: 'a' },
      service_tier: 'default',
    });
  });

  it('Anthropic: required → any, one call per turn → disable_parallel_tool_use, none → none, stop → stop_sequences, user → metadata.user_id', async () => {
    const rec = recordingFetch();
    const p = TARGETS[1]?.create(url, { fetch: rec.fetch }) as LlmProvider;
    const one = await p.chat({
      model: 'claude-haiku-4-5',
      messages: BOTH,
      tools: TOOLS,
      toolChoice: 'required',
      parallelToolCalls: false,
      user: 'u-1',
      stop: ['END'],
    });
    expect(one.toolCalls?.map((c) => c.name)).toEqual(['get_weather']);
    await p.chat({ model: 'claude-haiku-4-5', messages: BOTH, tools: TOOLS, toolChoice: 'none' });
    await p.chat({ model: 'claude-haiku-4-5', messages: BOTH, tools: TOOLS, toolChoice: { name: 'get_time' } });
    expect(rec.bodies[0]).toMatchObject({
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      metadata: { user_id: 'u-1' },
      stop_sequences: ['END'],
    });
    expect(rec.bodies[1]?.['tool_choice']).toEqual({ type: 'none' });
    expect(rec.bodies[2]?.['tool_choice']).toEqual({ type: 'tool', name: 'get_time' });
  });

  it('Ollama: a named function is asked for as format = its schema (no tools sent); stop and seed go in options', async () => {
    const rec = recordingFetch();
    const p = TARGETS[2]?.create(url, { fetch: rec.fetch }) as LlmProvider;
    await p.chat({ model: 'qwen3:8b', messages: BOTH, tools: TOOLS, toolChoice: { name: 'get_time' }, stop: ['END'], seed: 3 });
    expect(rec.bodies[0]).toMatchObject({ format: TIME.parameters, options: { stop: ['END'], seed: 3 } });
    expect(rec.bodies[0]).not.toHaveProperty('tools');
  });

  it('any JSON object is JSON mode: json_object on OpenAI, format "json" on Ollama', async () => {
    const rec = recordingFetch();
    const any = { name: 'response', schema: { type: 'object' } };
    const messages: LlmMessage[] = [{ role: 'user', content: 'Describe Paris as JSON.' }];
    const openai = await (TARGETS[0]?.create(url, { fetch: rec.fetch }) as LlmProvider).chat({ model: 'gpt-4o-mini', messages, outputSchema: any });
    const ollama = await (TARGETS[2]?.create(url, { fetch: rec.fetch }) as LlmProvider).chat({ model: 'qwen3:8b', messages, outputSchema: any });
    expect(rec.bodies[0]?.['response_format']).toEqual({ type: 'json_object' });
    expect(rec.bodies[1]?.['format']).toBe('json');
    for (const r of [openai, ollama]) expect(Object.keys(r.json as object).length).toBeGreaterThan(0);
  });

  it('each adapter says which optional fields it passes on', () => {
    const [openai, anthropic, ollama] = TARGETS.map((t) => [...t.create(url).supports].sort());
    expect(openai).toEqual(['logprobs', 'metadata', 'n', 'parallelToolCalls', 'seed', 'serviceTier', 'stop', 'user']);
    expect(anthropic).toEqual(['parallelToolCalls', 'stop', 'user']);
    expect(ollama).toEqual(['seed', 'stop']);
  });
});

describe('the emulator honours the optional fields (seen through the adapters)', () => {
  it('OpenAI: n answers, logprobs of every output token, a seed that decides the answer, stop that cuts it', async () => {
    const p = TARGETS[0]?.create(url) as LlmProvider;
    const many = await p.chat({ model: 'gpt-4o-mini', messages: PLAIN, n: 3 });
    expect(many.choices).toHaveLength(3);
    expect(new Set(many.choices?.map((c) => c.text)).size).toBe(3);
    const single = await p.chat({ model: 'gpt-4o-mini', messages: PLAIN });
    expect(many.usage.outputTokens).toBeGreaterThan(single.usage.outputTokens);

    const lp = await p.chat({ model: 'gpt-4o-mini', messages: PLAIN, logprobs: true, topLogprobs: 3 });
    expect(lp.logprobs?.map((t) => t.token).join('')).toBe(lp.text);
    for (const t of lp.logprobs ?? []) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.topLogprobs).toHaveLength(3);
      expect(t.topLogprobs[0]).toMatchObject({ token: t.token, logprob: t.logprob });
    }
    const streamed = await collect(p.chatStream({ model: 'gpt-4o-mini', messages: PLAIN, logprobs: true, topLogprobs: 3 }));
    expect(streamed.done[0]?.logprobs).toEqual(lp.logprobs);

    const a = await p.chat({ model: 'gpt-4o-mini', messages: PLAIN, seed: 1 });
    const b = await p.chat({ model: 'gpt-4o-mini', messages: PLAIN, seed: 1 });
    const c = await p.chat({ model: 'gpt-4o-mini', messages: PLAIN, seed: 2 });
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(c.text);
  });

  it.each(TARGETS)('$kind: stop cuts the answer before the stop sequence', async (target) => {
    const p = target.create(url);
    const full = await p.chat({ model: target.model, messages: PLAIN });
    const word = full.text.split(/\s+/)[3] as string;
    const cut = await p.chat({ model: target.model, messages: PLAIN, stop: [word] });
    expect(cut.text).toBe(full.text.slice(0, full.text.indexOf(word)));
    expect(cut.finishReason).toBe('stop');
  });
});
