import { generate, malformJson, splitPieces, targetLength, type GenerationRequest } from './engine';
import { validateJsonSchema } from './schema-validator';
import { countTokens } from './tokens';

const model = { completionTokens: { min: 40, max: 160 }, reasoningTokens: 0 };
const user = (text: string): GenerationRequest['messages'][number] => ({ role: 'user', text, images: 0 });

describe('generate', () => {
  const base: GenerationRequest = { messages: [user('Tell me about the ocean and its tides.')], schemaTexts: [], output: { kind: 'text' } };

  it('is deterministic and reports usage from the same token function', () => {
    const a = generate(base, model);
    const b = generate(base, model);
    expect(b).toEqual(a);
    expect(a.completionTokens).toBe(countTokens(a.text));
    expect(a.finishReason).toBe('stop');
    expect(a.text).toMatch(/[.!?]$/);
    expect(a.completionTokens).toBeGreaterThanOrEqual(30);
  });

  it('cuts at max tokens with finish reason length', () => {
    const full = generate(base, model);
    const cut = generate({ ...base, maxTokens: 7 }, model);
    expect(cut.finishReason).toBe('length');
    expect(cut.completionTokens).toBe(7);
    expect(full.text.startsWith(cut.text)).toBe(true);
  });

  it('stops at a stop sequence', () => {
    const full = generate(base, model);
    const word = full.text.split(' ')[3]!;
    const g = generate({ ...base, stop: [word] }, model);
    expect(g.finishReason).toBe('stop_sequence');
    expect(g.stopSequence).toBe(word);
    expect(g.text).toBe(full.text.slice(0, full.text.indexOf(word)));
  });

  it('honours size hints in the prompt', () => {
    const two = generate({ ...base, messages: [user('Summarize the ocean in two sentences.')] }, model);
    expect(two.text.match(/[.!?](\s|$)/g)).toHaveLength(2);
    const words = generate({ ...base, messages: [user('Write about the ocean in 200 words.')] }, model);
    expect(words.completionTokens).toBeGreaterThan(250);
  });

  it('adds configured reasoning tokens to the completion', () => {
    const g = generate(base, { ...model, reasoningTokens: 50 });
    expect(g.reasoningTokens).toBe(50);
    expect(g.completionTokens).toBe(countTokens(g.text) + 50);
  });

  it('returns schema-valid JSON, malformed JSON or schema-violating JSON on request', () => {
    const schema = {
      type: 'object',
      properties: { mood: { enum: ['calm', 'tense'] }, score: { type: 'integer', minimum: 1, maximum: 10 } },
      required: ['mood', 'score'],
      additionalProperties: false,
    };
    const req: GenerationRequest = { ...base, output: { kind: 'schema', schema }, schemaTexts: [JSON.stringify(schema)] };
    const ok = generate(req, model);
    expect(validateJsonSchema(schema, JSON.parse(ok.text))).toEqual([]);
    expect(ok.value).toEqual(JSON.parse(ok.text));
    expect(ok.promptTokens).toBe(generate(base, model).promptTokens + countTokens(JSON.stringify(schema)));

    const bad = generate(req, model, 'malformed-json');
    expect(() => JSON.parse(bad.text) as unknown).toThrow();
    expect(bad.value).toBeUndefined();

    const violating = generate(req, model, 'schema-violation');
    expect(validateJsonSchema(schema, JSON.parse(violating.text)).length).toBeGreaterThan(0);
  });

  it('json mode answers with an object', () => {
    const g = generate({ ...base, output: { kind: 'json' } }, model);
    const v = JSON.parse(g.text) as unknown;
    expect(typeof v).toBe('object');
    expect(Array.isArray(v)).toBe(false);
  });
});

describe('helpers', () => {
  it('splitPieces joins back to the text', () => {
    for (const text of ['Hello world.', '  leading and trailing  ', 'para one.\n\npara two.', JSON.stringify({ a: 'x'.repeat(50), b: [1, 2, 3] }), '']) {
      expect(splitPieces(text).join('')).toBe(text);
    }
  });

  it('malformJson never parses', () => {
    for (const json of ['1', '"abc"', '[]', '{}', 'null', JSON.stringify({ a: [1, 2, { b: 'c' }] })]) {
      expect(() => JSON.parse(malformJson(json)) as unknown).toThrow();
    }
  });

  it('targetLength reads size hints', () => {
    const pick = (a: number): number => a;
    expect(targetLength('in 100 words', { min: 1, max: 2 }, pick).tokens).toBe(140);
    expect(targetLength('one sentence please', { min: 1, max: 2 }, pick).sentences).toBe(1);
    expect(targetLength('be brief', { min: 1, max: 2 }, pick).tokens).toBe(15);
    expect(targetLength('hello', { min: 40, max: 160 }, pick).tokens).toBe(40);
  });
});
