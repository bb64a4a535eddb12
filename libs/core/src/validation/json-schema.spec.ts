import { compileJsonSchema, JsonSchemaCompileError } from './json-schema';

describe('compileJsonSchema', () => {
  it('compiles each distinct schema once', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    expect(compileJsonSchema(schema)).toBe(compileJsonSchema(JSON.parse(JSON.stringify(schema)) as Record<string, unknown>));
    expect(compileJsonSchema({ type: 'string' })).not.toBe(compileJsonSchema({ type: 'number' }));
  });

  it('speaks 2020-12 by default and draft-07 when the schema is one', () => {
    expect(compileJsonSchema({ type: 'array', prefixItems: [{ type: 'string' }], items: false })(['x', 'y'])).toBe(false);
    expect(
      compileJsonSchema({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'array', items: [{ type: 'string' }], additionalItems: false })(['x', 'y']),
    ).toBe(false);
    expect(compileJsonSchema({ type: 'string', format: 'email' })('not an email')).toBe(false);
  });

  it('refuses a schema Ajv cannot compile', () => {
    expect(() => compileJsonSchema({ type: 'nonsense' })).toThrow(JsonSchemaCompileError);
  });
});
