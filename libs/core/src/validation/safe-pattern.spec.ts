import { unsafePatternProblem, unsafeSchemaPatterns } from './safe-pattern';

describe('pattern safety (ReDoS)', () => {
  it('refuses backtracking, invalid and over-long patterns; accepts ordinary ones, the slug pattern included', async () => {
    for (const evil of ['^(a+)+$', '(x+x+)+y', '^(\\w+\\s?)*$', '(a|a)*$'])
      expect(await unsafePatternProblem(evil)).toMatch(/could take (exponential|polynomial)/);
    expect(await unsafePatternProblem('([a-z')).toMatch(/not a valid/);
    expect(await unsafePatternProblem('a'.repeat(501))).toMatch(/longer than 500/);
    for (const ok of ['^[a-z0-9]+(?:-[a-z0-9]+)*$', '^\\d{4}-\\d{2}-\\d{2}$', '\\b(liked|favorite|worship)\\b'])
      expect(await unsafePatternProblem(ok)).toBeNull();
  }, 30_000);

  it('finds every unsafe pattern in a schema, wherever it is, and ignores data that merely looks like one', async () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'string', pattern: '^(a+)+$' }, b: { type: 'array', items: { type: 'string', pattern: '^ok$' } } },
      patternProperties: { '(x*)*y': { type: 'string' } },
      anyOf: [{ properties: { c: { pattern: '(b+)*$' } } }],
      enum: [{ pattern: '^(a+)+$' }],
      examples: [{ pattern: '^(a+)+$' }],
    };
    const problems = await unsafeSchemaPatterns(schema, 'inputSchema');
    expect(problems.map((p) => p.split(' ')[0])).toEqual([
      'inputSchema.properties.a.pattern',
      'inputSchema.patternProperties',
      'inputSchema.anyOf.0.properties.c.pattern',
    ]);
  }, 30_000);
});
