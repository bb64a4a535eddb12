import { checkFormat, validateJsonSchema } from './schema-validator';

describe('validateJsonSchema (Ajv, read as the emulator means the schema)', () => {
  it('reports errors by path with Ajv messages', () => {
    const schema = { type: 'object', required: ['a'], properties: { a: {}, b: { type: 'integer' } }, additionalProperties: false };
    expect(validateJsonSchema(schema, { b: 1.5, c: 1 })).toEqual(
      expect.arrayContaining([
        { path: '/', message: "must have required property 'a'" },
        { path: '/b', message: 'must be integer' },
        { path: '/', message: 'must NOT have additional properties' },
      ]),
    );
    expect(validateJsonSchema(schema, { a: 1, b: 2 })).toEqual([]);
  });

  it('validates a sub-schema with the $refs of its root document', () => {
    const root = { $defs: { mood: { enum: ['calm', 'sad'] } }, type: 'object', properties: { mood: { $ref: '#/$defs/mood' } } };
    const sub = root.properties.mood;
    expect(validateJsonSchema(sub, 'calm', root)).toEqual([]);
    expect(validateJsonSchema(sub, 'angry', root)).toHaveLength(1);
  });

  it('accepts what clients send that Ajv alone refuses: nullable without type, draft-04 exclusive bounds, non-Unicode patterns', () => {
    expect(validateJsonSchema({ nullable: true, properties: { a: { type: 'string' } } }, { a: 'x' })).toEqual([]);
    expect(validateJsonSchema({ type: 'string', nullable: true }, null)).toEqual([]);
    const draft4 = { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: false };
    expect([0, 0.5, 1].map((v) => validateJsonSchema(draft4, v).length)).toEqual([1, 0, 0]);
    expect(validateJsonSchema({ type: 'string', pattern: '^\\-[a-z]$' }, '-a')).toEqual([]);
    expect(validateJsonSchema({ type: 'string', pattern: '^\\-[a-z]$' }, 'a')).toHaveLength(1);
  });

  it('checks formats the same way when generating and validating', () => {
    expect(checkFormat('time', '10:00:00')).toBe(true);
    expect(checkFormat('date-time', '2024-13-01T00:00:00Z')).toBe(false);
    expect(checkFormat('iri', 'not an iri')).toBe(false);
    expect(checkFormat('made-up-format', 'anything')).toBe(true);
  });
});
