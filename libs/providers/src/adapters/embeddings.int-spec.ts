// The adapters' embed() against the LLM emulator's OpenAI /v1/embeddings and Ollama /api/embed.
import { createEmulator, embeddingVector, findEmbeddingModel, type Emulator } from '@margin/llm-emulator';
import { ProviderRateLimitedError, ProviderServerError } from '../provider-errors';
import { OllamaProvider } from './ollama.adapter';
import { OpenAiProvider } from './openai.adapter';

describe('embeddings through the provider adapters (emulator)', () => {
  let emu: Emulator;
  let url: string;
  beforeAll(async () => {
    emu = createEmulator({ timeScale: 0 });
    url = (await emu.listen(0)).url;
  });
  afterEach(() => emu.setFault(null));
  afterAll(() => emu.close());

  const openai = () => new OpenAiProvider({ id: 'openai', kind: 'openai', baseUrl: `${url}/v1`, apiKey: 'k' });
  const ollama = () => new OllamaProvider({ id: 'ollama', kind: 'ollama', baseUrl: url });

  it('OpenAI: one vector per input in order (decoded from base64 by the SDK), dimensions, usage, emulated', async () => {
    const r = await openai().embed({ model: 'text-embedding-3-small', input: ['a hymn', 'an organ'] });
    const model = findEmbeddingModel('text-embedding-3-small')!;
    expect(r.embeddings).toEqual([embeddingVector(model, 'a hymn'), embeddingVector(model, 'an organ')]);
    expect(r.inputTokens).toBe(Math.ceil('a hymn'.length / 4) + Math.ceil('an organ'.length / 4));
    expect(r).toMatchObject({ model: 'text-embedding-3-small', emulated: true });
    const short = await openai().embed({ model: 'text-embedding-3-small', input: ['a hymn'], dimensions: 32 });
    expect(short.embeddings[0]).toEqual(embeddingVector(model, 'a hymn', 32));
  });

  it('Ollama: /api/embed vectors, prompt_eval_count as the input tokens', async () => {
    const r = await ollama().embed({ model: 'nomic-embed-text', input: ['a choir'], dimensions: 100 });
    expect(r.embeddings[0]).toEqual(embeddingVector(findEmbeddingModel('nomic-embed-text')!, 'a choir', 100));
    expect(r.inputTokens).toBe(Math.ceil('a choir'.length / 4));
    expect(r.emulated).toBe(true);
  });

  it('maps the provider failures: 429 with retry-after, 500, a cut body', async () => {
    emu.setFault('429', { times: 1 });
    const limited = await openai()
      .embed({ model: 'text-embedding-3-small', input: ['x'] })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ProviderRateLimitedError);
    expect((limited as ProviderRateLimitedError).retryAfterMs).toBeGreaterThan(0);
    emu.setFault('500', { times: 1 });
    await expect(ollama().embed({ model: 'nomic-embed-text', input: ['x'] })).rejects.toBeInstanceOf(ProviderServerError);
    emu.setFault('malformed-json', { times: 1 });
    await expect(openai().embed({ model: 'text-embedding-3-small', input: ['x'] })).rejects.toThrow();
  });

  it('the emulator refuses what OpenAI refuses: unknown model, bad dimensions, an input over the window', async () => {
    const post = (body: unknown) =>
      fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ model: 'nope', input: 'x' })).status).toBe(404);
    const dims = await post({ model: 'text-embedding-3-small', input: 'x', dimensions: 5000 });
    expect(dims.status).toBe(400);
    expect(await dims.json()).toMatchObject({ error: { param: 'dimensions' } });
    expect((await post({ model: 'text-embedding-ada-002', input: 'x', dimensions: 8 })).status).toBe(400);
    const long = await post({ model: 'text-embedding-3-small', input: 'x'.repeat(8192 * 4 + 4) });
    expect(await long.json()).toMatchObject({ error: { code: 'context_length_exceeded', param: 'input' } });
    const b64 = (await (await post({ model: 'text-embedding-3-small', input: 'x', encoding_format: 'base64', dimensions: 2 })).json()) as {
      data: Array<{ embedding: string }>;
    };
    const buf = Buffer.from(b64.data[0]!.embedding, 'base64');
    expect([buf.readFloatLE(0), buf.readFloatLE(4)]).toEqual(embeddingVector(findEmbeddingModel('text-embedding-3-small')!, 'x', 2));
  });
});
