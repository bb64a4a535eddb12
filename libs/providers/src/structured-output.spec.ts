import { InvalidOutputError, ProviderBadRequestError } from './provider-errors';
import { compileOutputSchema, InvalidSchemaError, objectRootSchema, parseStructuredOutput, prepareStructuredOutput, stripCodeFence } from './structured-output';

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'themes', 'mood'],
  properties: {
    title: { type: 'string', minLength: 1 },
    themes: { type: 'array', items: { type: 'string' }, minItems: 1 },
    mood: { enum: ['joyful', 'calm'] },
    reviewedAt: { type: 'string', format: 'date-time' },
    contact: { type: 'string', format: 'email' },
  },
};
const VALID = { title: 'Yesterday', themes: ['loss', 'nostalgia'], mood: 'calm' };

function invalid(text: string, schema: Record<string, unknown> = SCHEMA): InvalidOutputError {
  try {
    parseStructuredOutput('p1', text, schema);
  } catch (e) {
    if (e instanceof InvalidOutputError) return e;
    throw e;
  }
  throw new Error('expected InvalidOutputError');
}

describe('structured output validation', () => {
  it('returns the parsed value when the JSON matches the schema', () => {
    expect(parseStructuredOutput('p1', JSON.stringify(VALID), SCHEMA)).toEqual(VALID);
    expect(parseStructuredOutput('p1', JSON.stringify({ ...VALID, reviewedAt: '2025-06-01T12:00:00Z', contact: 'a@b.co' }), SCHEMA)).toMatchObject(VALID);
  });

  it('reports readable problems with the JSON pointer of each', () => {
    const e = invalid(JSON.stringify({ title: '', themes: ['ok', 7], mood: 'angry', extra: 1 }));
    expect(e.problems).toEqual(
      expect.arrayContaining([
        '/title must NOT have fewer than 1 characters',
        '/themes/1 must be string',
        '/mood must be equal to one of the allowed values ("joyful", "calm")',
        '/ must NOT have additional properties (extra)',
      ]),
    );
    expect(e.message).toContain('/themes/1 must be string');
    expect(e.rawText).toBe(JSON.stringify({ title: '', themes: ['ok', 7], mood: 'angry', extra: 1 }));
    expect(e.providerId).toBe('p1');
    expect(e.kind).toBe('invalid_output');
  });

  it('reports missing required properties and wrong formats', () => {
    expect(invalid(JSON.stringify({ themes: [], mood: 'calm' })).problems).toEqual(
      expect.arrayContaining(["/ must have required property 'title'", '/themes must NOT have fewer than 1 items']),
    );
    expect(invalid(JSON.stringify({ ...VALID, reviewedAt: 'yesterday', contact: 'nobody' })).problems).toEqual([
      '/reviewedAt must match format "date-time"',
      '/contact must match format "email"',
    ]);
  });

  it('throws InvalidOutputError with the raw text when the answer is not JSON', () => {
    const e = invalid('{"title": "Yesterday", "themes": [');
    expect(e.problems[0]).toMatch(/^not JSON: /);
    expect(e.rawText).toBe('{"title": "Yesterday", "themes": [');
    expect(invalid('').problems[0]).toMatch(/^not JSON/);
    expect(invalid('Sure! Here is the JSON you asked for.').message).toMatch(/not JSON/);
  });

  it('accepts an answer wrapped in a Markdown code fence', () => {
    expect(stripCodeFence('```json\n{"a":1}\n```')).toBe('{"a":1}');
    expect(stripCodeFence('  {"a":1}  ')).toBe('{"a":1}');
    expect(parseStructuredOutput('p1', `\`\`\`json\n${JSON.stringify(VALID)}\n\`\`\``, SCHEMA)).toEqual(VALID);
  });

  it('supports draft 2020-12 keywords ($defs, prefixItems) and draft-07 forms (items arrays, definitions)', () => {
    const modern = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      prefixItems: [{ type: 'string' }, { $ref: '#/$defs/n' }],
      items: false,
      $defs: { n: { type: 'number' } },
    };
    expect(parseStructuredOutput('p1', '["a", 1]', modern)).toEqual(['a', 1]);
    expect(invalid('["a", "b"]', modern).problems).toEqual(['/1 must be number']);
    expect(invalid('["a", 1, 2]', modern).problems[0]).toMatch(/^\/ must NOT have more than 2 items/);

    const legacy = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'array',
      items: [{ type: 'string' }, { $ref: '#/definitions/n' }],
      additionalItems: false,
      definitions: { n: { type: 'number' } },
    };
    expect(parseStructuredOutput('p1', '["a", 1]', legacy)).toEqual(['a', 1]);
    expect(invalid('["a", "b"]', legacy).problems).toEqual(['/1 must be number']);
  });

  it('validates the same way for equal schemas (compiled once, in core)', () => {
    const copy = JSON.parse(JSON.stringify(SCHEMA)) as Record<string, unknown>;
    expect(compileOutputSchema(copy).problems({})).toEqual(compileOutputSchema(SCHEMA).problems({}));
    expect(compileOutputSchema({ type: 'string' }).problems(1)).not.toEqual(compileOutputSchema({ type: 'number' }).problems(1));
  });

  it('compiles different schemas that share an $id', () => {
    const a = compileOutputSchema({ $id: 'https://margin.test/answer', type: 'string' });
    const b = compileOutputSchema({ $id: 'https://margin.test/answer', type: 'number' });
    expect(a.problems('x')).toEqual([]);
    expect(b.problems(1)).toEqual([]);
    expect(b.problems('x')).toEqual(['/ must be number']);
  });

  it('rejects a broken schema as the caller’s bad request, before any call', () => {
    expect(() => compileOutputSchema({ type: 'object', properties: { a: { type: 'no-such-type' } } })).toThrow(InvalidSchemaError);
    expect(() => prepareStructuredOutput('p1', { type: 'object', required: 'a' })).toThrow(ProviderBadRequestError);
  });

  it('wraps a non-object root in { value } (hoisting $defs) and unwraps answers', () => {
    expect(objectRootSchema(SCHEMA).schema).toBe(SCHEMA);
    const schema = { type: 'array', items: { $ref: '#/$defs/tag' }, $defs: { tag: { type: 'string' } } };
    const { schema: wrapped, unwrap } = objectRootSchema(schema);
    expect(wrapped).toEqual({
      type: 'object',
      properties: { value: { type: 'array', items: { $ref: '#/$defs/tag' } } },
      required: ['value'],
      additionalProperties: false,
      $defs: { tag: { type: 'string' } },
    });
    expect(unwrap(parseStructuredOutput('p1', '{"value":["a","b"]}', wrapped))).toEqual(['a', 'b']);
    expect(invalid('{"value":["a",2]}', wrapped).problems).toEqual(['/value/1 must be string']);
  });
});
