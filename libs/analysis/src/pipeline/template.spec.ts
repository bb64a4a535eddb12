import type { ProfileStep } from './pipeline.types';
import { renderTemplate, schemaDefines, templateReferences, validateTemplates } from './template';

const scope = {
  input: { title: 'Amazing Grace', year: 1779, hymn: true, tags: ['grace', 'hope'], empty: '', none: null, list: [] as string[] },
  steps: {
    outline: {
      title: 'Grace',
      sections: [
        { heading: 'Lost', points: ['a'] },
        { heading: 'Found', points: ['b'] },
      ],
    },
  },
};

describe('renderTemplate', () => {
  it('renders strings as they are, numbers and booleans as text, objects and arrays as JSON', () => {
    expect(renderTemplate('{{input.title}} ({{ input.year }}), hymn: {{input.hymn}}, tags: {{input.tags}}', scope)).toBe(
      'Amazing Grace (1779), hymn: true, tags: ["grace","hope"]',
    );
    expect(renderTemplate('{{steps.outline.sections.1}}', scope)).toBe('{"heading":"Found","points":["b"]}');
    expect(renderTemplate('{{steps.outline.sections.0.heading}}', scope)).toBe('Lost');
  });

  it('renders a missing or null value as nothing', () => {
    expect(renderTemplate('[{{input.audience}}][{{input.none}}][{{steps.missing.x}}][{{input.title.deeper}}]', scope)).toBe('[][][][]');
  });

  it('renders a block only when its value is present, an inverted block only when it is not', () => {
    const t = '{{#input.title}}T={{input.title}}{{/input.title}}{{^input.audience}} for everyone{{/input.audience}}';
    expect(renderTemplate(t, scope)).toBe('T=Amazing Grace for everyone');
    for (const absent of ['empty', 'none', 'list', 'nothing']) {
      expect(renderTemplate(`{{#input.${absent}}}yes{{/input.${absent}}}{{^input.${absent}}}no{{/input.${absent}}}`, scope)).toBe('no');
    }
    expect(renderTemplate('{{#input.tags}}{{#input.hymn}}both{{/input.hymn}}{{/input.tags}}', scope)).toBe('both');
  });

  it('does not render the values it inserts again', () => {
    expect(renderTemplate('{{input.title}}', { input: { title: '{{input.secret}}', secret: 'x' }, steps: {} })).toBe('{{input.secret}}');
  });

  it.each([
    ['{{#input.a}}never closed', /never closed/],
    ['{{#input.a}}x{{/input.b}}', /must close in order/],
    ['x{{/input.a}}', /never opened/],
    ['{{user.name}}', /not a path/],
    ['{{steps}}', /must name a step/],
    ['{{ input.a b }}', /not a path/],
    ['a {{ broken', /does not open a tag/],
  ])('refuses %s', (template, message) => {
    expect(() => renderTemplate(template, scope)).toThrow(message);
  });

  it('lists every path a template refers to, blocks included', () => {
    expect(templateReferences('{{#input.a}}{{steps.x.y}}{{/input.a}} {{input.b}}').map((r) => r.raw)).toEqual(['input.a', 'steps.x.y', 'input.b']);
  });
});

describe('schemaDefines', () => {
  const schema = {
    type: 'object',
    properties: {
      title: { type: 'string' },
      sections: { type: 'array', items: { type: 'object', properties: { heading: { type: 'string' } } } },
      meta: { type: 'object' },
      either: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'string' }] },
    },
  };
  it.each([
    [['title'], true],
    [['sections', '0', 'heading'], true],
    [['meta', 'anything'], true],
    [['either', 'a'], true],
    [['nope'], false],
    [['title', 'length'], false],
    [['sections', 'heading'], false],
    [['either', 'b'], false],
  ])('%j → %s', (path, expected) => {
    expect(schemaDefines(schema, path)).toBe(expected);
  });
});

describe('validateTemplates', () => {
  const step = (name: string, prompt: string, system?: string): ProfileStep => ({
    name,
    operation: 'analyze',
    complexity: 'simple',
    prompt,
    system,
    outputSchema: { type: 'object', properties: { summary: { type: 'string' }, sections: { type: 'array', items: { type: 'string' } } } },
  });
  const inputSchema = { type: 'object', properties: { title: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } } };

  it('accepts references to input properties and earlier steps', () => {
    expect(
      validateTemplates({
        inputSchema,
        steps: [
          step('a', '{{input.title}} {{input.tags.0}}'),
          step('b', '{{steps.a.summary}} {{steps.a.sections}} {{#input.tags}}x{{/input.tags}}', '{{steps.a}}'),
        ],
      }),
    ).toEqual([]);
  });

  it('names each reference that could never resolve', () => {
    const problems = validateTemplates({
      inputSchema,
      steps: [step('a', '{{steps.b.summary}} {{input.lyrics}}'), step('b', '{{steps.b.summary}} {{steps.a.verdict}}', '{{#input.rubric}}{{/input.rubric}}')],
    });
    expect(problems).toEqual([
      'steps.0.prompt refers to steps.b, which is not an earlier step',
      'steps.0.prompt refers to input.lyrics, which is not a property of the inputSchema',
      'steps.1.system refers to input.rubric, which is not a property of the inputSchema',
      'steps.1.prompt refers to steps.b, which is not an earlier step',
      'steps.1.prompt refers to steps.a.verdict, which the outputSchema of step "a" does not define',
    ]);
  });

  it('reports syntax errors with where they are', () => {
    expect(validateTemplates({ inputSchema, steps: [step('a', 'ok'), step('b', '{{#input.title}}')] })).toEqual([
      'steps.1.prompt: {{#input.title}} is never closed with {{/input.title}}',
    ]);
  });
});
