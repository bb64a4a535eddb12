import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { generatePattern, UnsupportedPatternError } from './pattern';
import { createRng } from './rng';
import { fakeFromSchema, fakeJsonObject, violateSchema } from './schema-faker';
import { validateJsonSchema } from './schema-validator';

/**
 * Cross-check with Ajv (draft 2020-12 first, draft-07 for schemas 2020 rejects, e.g. tuple `items`),
 * formats enabled through ajv-formats. Returns undefined when neither dialect accepts the schema.
 */
const ajv2020 = addFormats(new Ajv2020({ strict: false, allErrors: true }));
const ajv07 = addFormats(new Ajv({ strict: false, allErrors: true }));
function ajvCheck(schema: object, value: unknown): boolean | undefined {
  for (const ajv of [ajv2020, ajv07]) {
    let validate: ((v: unknown) => boolean) | undefined;
    try {
      validate = ajv.compile(schema);
    } catch {
      continue;
    }
    return validate(value);
  }
  return undefined;
}

const SEEDS = ['a', 'b', 'c', 'song-42', 'prompt: describe'];

/** A wide set of arbitrary schemas the faker must satisfy. */
const SCHEMAS: Record<string, object> = {
  string: { type: 'string' },
  number: { type: 'number' },
  integer: { type: 'integer' },
  boolean: { type: 'boolean' },
  null: { type: 'null' },
  empty: {},
  'string exact length': { type: 'string', minLength: 5, maxLength: 5 },
  'string short max': { type: 'string', maxLength: 3 },
  'string long min': { type: 'string', minLength: 120, maxLength: 130 },
  'string empty only': { type: 'string', maxLength: 0 },
  'format date-time': { type: 'string', format: 'date-time' },
  'format date': { type: 'string', format: 'date' },
  'format time': { type: 'string', format: 'time' },
  'format email': { type: 'string', format: 'email' },
  'format uri': { type: 'string', format: 'uri' },
  'format uuid': { type: 'string', format: 'uuid' },
  'format ipv4': { type: 'string', format: 'ipv4' },
  'format ipv6': { type: 'string', format: 'ipv6' },
  'format hostname': { type: 'string', format: 'hostname' },
  'format email with maxLength': { type: 'string', format: 'email', maxLength: 40 },
  'pattern code': { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' },
  'pattern alternation': { type: 'string', pattern: '^(foo|bar)+baz?$' },
  'pattern username': { type: 'string', pattern: '^[a-z0-9_-]{3,16}$' },
  'pattern e164': { type: 'string', pattern: '^\\+?[1-9]\\d{1,14}$' },
  'pattern hex color': { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' },
  'pattern semver': { type: 'string', pattern: '^v\\d+\\.\\d+\\.\\d+$' },
  'pattern unanchored': { type: 'string', pattern: 'abc' },
  'pattern unanchored with minLength': { type: 'string', pattern: '\\d{2}', minLength: 8 },
  'pattern negated class': { type: 'string', pattern: '^[^@\\s]+@example\\.org$' },
  'pattern time of day': { type: 'string', pattern: '^(?:[01]\\d|2[0-3]):[0-5]\\d$' },
  'pattern with length': { type: 'string', pattern: '^[a-z]+$', minLength: 20, maxLength: 25 },
  'pattern named group + optional': { type: 'string', pattern: '^(?<year>\\d{4})-(0[1-9]|1[0-2])(-\\d\\d)?$' },
  'number range': { type: 'number', minimum: -5.5, maximum: -1.25 },
  'number exclusive': { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
  'number draft-04 exclusive': { type: 'number', minimum: 0, maximum: 1, exclusiveMinimum: true, exclusiveMaximum: true },
  'number multipleOf 0.01': { type: 'number', minimum: 0, maximum: 10, multipleOf: 0.01 },
  'number multipleOf 0.1': { type: 'number', minimum: 0.3, maximum: 0.9, multipleOf: 0.1 },
  'integer multipleOf 5': { type: 'integer', minimum: 7, maximum: 40, multipleOf: 5 },
  'integer exact': { type: 'integer', minimum: 3, maximum: 3 },
  'integer exclusive tight': { type: 'integer', exclusiveMinimum: 1, exclusiveMaximum: 3 },
  'integer min only': { type: 'integer', minimum: 1000000 },
  'integer max only': { type: 'integer', maximum: -10 },
  'enum strings': { type: 'string', enum: ['positive', 'neutral', 'negative'] },
  'enum mixed': { enum: [1, 'two', null, { three: 3 }, [4]] },
  'enum filtered by type': { type: 'integer', enum: ['x', 2.5, 7] },
  const: { const: { fixed: [1, 2, 3] } },
  'nullable type array': { type: ['string', 'null'], minLength: 2 },
  'nullable openapi': { type: 'string', nullable: true, format: 'email' },
  'multiple types': { type: ['integer', 'string'], minimum: 10 },
  'object strict': {
    type: 'object',
    properties: { title: { type: 'string' }, score: { type: 'number', minimum: 0, maximum: 1 }, tags: { type: 'array', items: { type: 'string' } } },
    required: ['title', 'score', 'tags'],
    additionalProperties: false,
  },
  'object required not in properties': { type: 'object', required: ['a', 'b'], properties: { a: { type: 'integer' } } },
  'object minProperties': { type: 'object', minProperties: 4, additionalProperties: { type: 'integer' } },
  'object maxProperties': {
    type: 'object',
    maxProperties: 2,
    required: ['id'],
    properties: { id: { type: 'string' }, a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } },
  },
  'object patternProperties': { type: 'object', patternProperties: { '^x-[a-z]+$': { type: 'number' } }, additionalProperties: false, minProperties: 2 },
  'object dependentRequired': {
    type: 'object',
    properties: { card: { type: 'string' }, billing: { type: 'string' } },
    dependentRequired: { card: ['billing'] },
    maxProperties: 2,
  },
  'object propertyNames': { type: 'object', propertyNames: { pattern: '^[a-z]{3}$' }, minProperties: 2 },
  'array bounds': { type: 'array', items: { type: 'integer' }, minItems: 3, maxItems: 5 },
  'array exactly 7': { type: 'array', items: { type: 'string', format: 'uuid' }, minItems: 7, maxItems: 7 },
  'array empty only': { type: 'array', maxItems: 0 },
  'array unique enum': { type: 'array', items: { enum: ['a', 'b', 'c', 'd'] }, minItems: 4, uniqueItems: true },
  'array unique booleans': { type: 'array', items: { type: 'boolean' }, minItems: 2, maxItems: 2, uniqueItems: true },
  'array prefixItems': { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }, { const: true }], items: false, minItems: 3 },
  'array draft-07 tuple': { type: 'array', items: [{ type: 'number' }, { type: 'string', format: 'date' }], additionalItems: false },
  'array contains': { type: 'array', items: { type: 'integer', minimum: 0, maximum: 100 }, contains: { const: 42 }, minItems: 2 },
  'array of objects': {
    type: 'array',
    minItems: 2,
    items: {
      type: 'object',
      properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } },
      required: ['name', 'email'],
      additionalProperties: false,
    },
  },
  'anyOf first': { anyOf: [{ type: 'string', minLength: 3 }, { type: 'number' }] },
  'oneOf overlapping': { oneOf: [{ type: 'integer' }, { type: 'number' }] },
  'oneOf objects': {
    oneOf: [
      { type: 'object', properties: { kind: { const: 'a' }, x: { type: 'number' } }, required: ['kind', 'x'] },
      { type: 'object', properties: { kind: { const: 'b' }, y: { type: 'string' } }, required: ['kind', 'y'] },
    ],
  },
  'anyOf with base': { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, anyOf: [{ required: ['a'] }, { required: ['b'] }] },
  allOf: {
    allOf: [
      { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
      { properties: { b: { type: 'integer', minimum: 5 } }, required: ['b'] },
    ],
  },
  'if then else': {
    type: 'object',
    properties: { country: { enum: ['US', 'CA'] }, zip: { type: 'string' } },
    required: ['country', 'zip'],
    if: { properties: { country: { const: 'US' } } },
    then: { properties: { zip: { pattern: '^\\d{5}$' } } },
    else: { properties: { zip: { pattern: '^[A-Z]\\d[A-Z] \\d[A-Z]\\d$' } } },
  },
  '$ref $defs': {
    type: 'object',
    properties: { author: { $ref: '#/$defs/person' }, reviewers: { type: 'array', items: { $ref: '#/$defs/person' }, minItems: 1 } },
    required: ['author', 'reviewers'],
    $defs: {
      person: {
        type: 'object',
        properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } },
        required: ['name', 'email'],
        additionalProperties: false,
      },
    },
  },
  '$ref definitions': { $ref: '#/definitions/score', definitions: { score: { type: 'integer', minimum: 1, maximum: 5 } } },
  '$ref with siblings': {
    $ref: '#/$defs/base',
    required: ['extra'],
    properties: { extra: { type: 'boolean' } },
    $defs: { base: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } },
  },
  'recursive tree': {
    $ref: '#/$defs/node',
    $defs: {
      node: {
        type: 'object',
        properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
        required: ['label', 'children'],
        additionalProperties: false,
      },
    },
  },
  'recursive linked list': {
    type: 'object',
    properties: { value: { type: 'integer' }, next: { anyOf: [{ $ref: '#' }, { type: 'null' }] } },
    required: ['value', 'next'],
    additionalProperties: false,
  },
  'true schema in properties': { type: 'object', properties: { anything: true }, required: ['anything'] },
  'deep nesting': {
    type: 'object',
    properties: {
      a: {
        type: 'object',
        properties: {
          b: {
            type: 'object',
            properties: {
              c: {
                type: 'object',
                properties: {
                  d: {
                    type: 'object',
                    properties: {
                      e: {
                        type: 'object',
                        properties: { f: { type: 'object', properties: { g: { type: 'string', minLength: 2 } }, required: ['g'] } },
                        required: ['f'],
                      },
                    },
                    required: ['e'],
                  },
                },
                required: ['d'],
              },
            },
            required: ['c'],
          },
        },
        required: ['b'],
      },
    },
    required: ['a'],
  },
  'song analysis (Margin profile)': {
    type: 'object',
    additionalProperties: false,
    required: ['title', 'artist', 'language', 'mood', 'themes', 'summary', 'explicit', 'confidence', 'sections', 'analyzedAt'],
    properties: {
      title: { type: 'string', minLength: 1, maxLength: 120 },
      artist: { type: 'string' },
      language: { type: 'string', pattern: '^[a-z]{2}$' },
      mood: { type: 'string', enum: ['joyful', 'melancholic', 'angry', 'calm', 'hopeful'] },
      themes: { type: 'array', items: { type: 'string', minLength: 3 }, minItems: 1, maxItems: 5, uniqueItems: true },
      summary: { type: 'string', minLength: 40, maxLength: 400 },
      explicit: { type: 'boolean' },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      sections: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'lines', 'sentiment'],
          properties: {
            kind: { enum: ['verse', 'chorus', 'bridge'] },
            lines: { type: 'integer', minimum: 1, maximum: 16 },
            sentiment: { type: ['number', 'null'], minimum: -1, maximum: 1 },
          },
        },
      },
      analyzedAt: { type: 'string', format: 'date-time' },
      sourceUrl: { type: ['string', 'null'], format: 'uri' },
    },
  },
  'openai strict nested': {
    type: 'object',
    additionalProperties: false,
    required: ['steps', 'final_answer'],
    properties: {
      steps: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['explanation', 'output'],
          properties: { explanation: { type: 'string' }, output: { type: 'string' } },
        },
      },
      final_answer: { type: 'string' },
    },
  },
};

describe('fakeFromSchema', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`is valid against: ${name}`, () => {
      for (const seed of SEEDS) {
        const value = fakeFromSchema(schema, { seed, keywords: ['lyrics', 'memory', 'summer'] });
        const errors = validateJsonSchema(schema, value);
        if (errors.length > 0) throw new Error(`${name} / seed ${seed}: ${JSON.stringify(value)} -> ${JSON.stringify(errors)}`);
        if (!name.includes('draft-04')) expect({ name, seed, ajv: ajvCheck(schema, value) }).toEqual({ name, seed, ajv: true });
      }
    });
  }

  it('is deterministic for a seed and varies across seeds', () => {
    const schema = SCHEMAS['song analysis (Margin profile)']!;
    const a = fakeFromSchema(schema, { seed: 'x' });
    expect(fakeFromSchema(schema, { seed: 'x' })).toEqual(a);
    expect(fakeFromSchema(schema, { seed: 'y' })).not.toEqual(a);
  });

  it('keeps property order and fills optional properties', () => {
    const value = fakeFromSchema(
      { type: 'object', properties: { z: { type: 'string' }, a: { type: 'integer' }, m: { type: 'boolean' } }, required: ['a'] },
      { seed: 's' },
    ) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['z', 'a', 'm']);
  });

  it('produces readable strings from property names and prompt keywords', () => {
    const value = fakeFromSchema(
      {
        type: 'object',
        properties: { email: { type: 'string' }, created_at: { type: 'string' }, summary: { type: 'string' }, theme: { type: 'string' } },
        required: ['email', 'created_at', 'summary', 'theme'],
      },
      { seed: 's', keywords: ['heartbreak'] },
    ) as Record<string, string>;
    expect(value['email']).toMatch(/^[a-z]+\.[a-z]+@example\.com$/);
    expect(Date.parse(value['created_at']!)).not.toBeNaN();
    expect(value['summary']!.split(' ').length).toBeGreaterThan(4);
    expect(value['theme']).toBe('heartbreak');
  });
});

describe('violateSchema', () => {
  const cases = ['object strict', 'song analysis (Margin profile)', 'enum strings', 'integer', '$ref $defs', 'array bounds', 'format email', 'recursive tree'];
  for (const name of cases) {
    it(`produces valid JSON that violates: ${name}`, () => {
      const schema = SCHEMAS[name]!;
      const valid = fakeFromSchema(schema, { seed: 'v' });
      const bad = violateSchema(schema, valid);
      expect(() => JSON.parse(JSON.stringify(bad)) as unknown).not.toThrow();
      expect(validateJsonSchema(schema, bad).length).toBeGreaterThan(0);
      expect(ajvCheck(schema, bad)).toBe(false);
    });
  }

  it('keeps objects when asked (tool input)', () => {
    const schema = SCHEMAS['object strict']!;
    const bad = violateSchema(schema, fakeFromSchema(schema, { seed: 'v' }), { requireObject: true });
    expect(typeof bad).toBe('object');
    expect(Array.isArray(bad)).toBe(false);
    expect(validateJsonSchema(schema, bad).length).toBeGreaterThan(0);
  });
});

describe('fakeJsonObject', () => {
  it('uses keys named in the prompt', () => {
    const obj = fakeJsonObject(createRng('k'), ['summer'], 'Return JSON with keys "title", "rating" and "tags".');
    expect(Object.keys(obj)).toEqual(['title', 'rating', 'tags']);
    expect(typeof obj['rating']).toBe('number');
    expect(Array.isArray(obj['tags'])).toBe(true);
  });

  it('falls back to a generic answer object', () => {
    expect(Object.keys(fakeJsonObject(createRng('k'), [], 'Answer in json.'))).toEqual(['answer', 'keywords', 'confidence']);
  });
});

describe('generatePattern', () => {
  it('matches a variety of simple patterns', () => {
    const patterns = [
      '^\\w+@\\w+\\.com$',
      '^[A-Z][a-z]{2,5}( [A-Z][a-z]+)?$',
      '^\\d{3}-\\d{3}-\\d{4}$',
      'x{2,}y?',
      '^[\\u0041-\\u005A]{4}$',
      '^\\S+$',
      '^.{5}$',
      '^(ab|cd){3}$',
      '^[.]\\*$',
    ];
    for (const p of patterns) {
      for (const seed of SEEDS) {
        const s = generatePattern(p, createRng(seed));
        expect({ p, s, ok: s !== undefined && new RegExp(p, 'u').test(s) }).toEqual({ p, s, ok: true });
      }
    }
  });

  it('rejects lookarounds and backreferences', () => {
    expect(() => generatePattern('^(?=.*\\d).+$', createRng('x'))).toThrow(UnsupportedPatternError);
    expect(() => generatePattern('^(a)\\1$', createRng('x'))).toThrow(UnsupportedPatternError);
  });
});

describe('validateJsonSchema (sanity: it does reject)', () => {
  const cases: Array<[string, object, unknown]> = [
    ['wrong type', { type: 'string' }, 1],
    ['integer', { type: 'integer' }, 1.5],
    ['missing required', { type: 'object', required: ['a'] }, {}],
    ['additional property', { type: 'object', properties: {}, additionalProperties: false }, { x: 1 }],
    ['pattern', { type: 'string', pattern: '^a+$' }, 'b'],
    ['email format', { type: 'string', format: 'email' }, 'nope'],
    ['date-time format', { type: 'string', format: 'date-time' }, '2024-13-01T00:00:00Z'],
    ['minItems', { type: 'array', minItems: 2 }, [1]],
    ['uniqueItems', { type: 'array', uniqueItems: true }, [{ a: 1 }, { a: 1 }]],
    ['enum', { enum: ['a'] }, 'b'],
    ['const', { const: { a: [1] } }, { a: [2] }],
    ['oneOf both', { oneOf: [{ type: 'integer' }, { type: 'number' }] }, 3],
    ['$ref', { $ref: '#/$defs/x', $defs: { x: { type: 'boolean' } } }, 'true'],
    ['multipleOf', { type: 'number', multipleOf: 0.1 }, 0.30000000000000004],
    ['exclusiveMaximum', { type: 'number', exclusiveMaximum: 1 }, 1],
    ['maxLength (code points)', { type: 'string', maxLength: 2 }, 'abc'],
    ['not', { not: { type: 'string' } }, 'x'],
    ['false schema', { type: 'object', properties: { a: false } }, { a: 1 }],
  ];
  for (const [name, schema, value] of cases) {
    it(`rejects: ${name}`, () => {
      expect(validateJsonSchema(schema, value).length).toBeGreaterThan(0);
      expect(ajvCheck(schema, value)).toBe(false);
    });
  }
});
