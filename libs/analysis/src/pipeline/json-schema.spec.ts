import { compileSchema, SchemaCompileError, schemaCompileProblem } from './json-schema';

const SCHEMA = {
  type: 'object',
  properties: {
    title: { type: 'string' },
    lyrics: { type: 'string', maxLength: 5 },
    mood: { enum: ['calm', 'joyful'] },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['title'],
  additionalProperties: false,
};

describe('profile JSON schemas', () => {
  it('reports problems with dotted paths, in the API’s message style', () => {
    const v = compileSchema(SCHEMA);
    expect(v.problems({ title: 'x' })).toEqual([]);
    expect(v.problems({ lyrics: 3, mood: 'sad', tags: ['a', 1], extra: true }, 'items.0')).toEqual([
      'items.0.title is required',
      'items.0.extra is not allowed',
      'items.0.lyrics must be a string',
      'items.0.mood must be one of "calm", "joyful"',
      'items.0.tags.1 must be a string',
    ]);
    expect(v.problems('text')).toEqual(['value must be an object']);
    expect(v.problems({ title: 'x', lyrics: 'too long' })).toEqual(['lyrics must NOT have more than 5 characters']);
  });

  it('refuses a schema Ajv cannot compile, and says why', () => {
    expect(() => compileSchema({ type: 'strin' })).toThrow(SchemaCompileError);
    expect(schemaCompileProblem({ type: 'object', properties: { a: { minimum: 'zero' } } })).toMatch(/minimum must be number/);
    expect(schemaCompileProblem([])).toBe('must be a JSON schema object');
    expect(schemaCompileProblem(SCHEMA)).toBeNull();
  });

  it('compiles draft-07 schemas too', () => {
    const v = compileSchema({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'array', items: [{ type: 'string' }], additionalItems: false });
    expect(v.problems(['a'])).toEqual([]);
    expect(v.problems(['a', 'b'])).not.toEqual([]);
  });
});
