import type { JsonSchema } from '@margin/contracts';
import type { ProfileDefinition, ProfileStep, QualityGate } from '../../pipeline/pipeline.types';
import { deriveOutputSchema } from '../../pipeline/quality-gate';
import { ASSESSMENT_SCHEMA, ASSESSOR_SYSTEM } from './assessment';

/** A post as the draft and refine steps write it. */
const POST_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200 },
    slug: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$', minLength: 1, maxLength: 100, description: 'URL slug: lowercase words joined by hyphens' },
    excerpt: { type: 'string', minLength: 1, maxLength: 400 },
    content: { type: 'string', minLength: 1, description: 'The whole post in Markdown' },
  },
  required: ['title', 'slug', 'excerpt', 'content'],
  additionalProperties: false,
};

const WRITER_SYSTEM = `You are a skilled blog writer. Write in a {{#input.tone}}{{input.tone}}{{/input.tone}}{{^input.tone}}clear, friendly and practical{{/input.tone}} tone for {{#input.audience}}{{input.audience}}{{/input.audience}}{{^input.audience}}a general audience{{/input.audience}}. Be concrete: examples, steps and specifics over generalities. Use Markdown: ## for section headings, short paragraphs, lists where they help.`;

const CONTEXT = `Topic: {{input.topic}}
{{#input.audience}}Audience: {{input.audience}}
{{/input.audience}}{{#input.tone}}Tone: {{input.tone}}
{{/input.tone}}{{#input.keywords}}Keywords: {{input.keywords}}
{{/input.keywords}}`;

const STEPS: ProfileStep[] = [
  {
    name: 'research',
    operation: 'research',
    complexity: 'simple',
    maxTokens: 1_024,
    system: 'You are a research assistant preparing a writer to write a useful blog post.',
    prompt: `${CONTEXT}
Find the angle the post should take, the key points it must make (facts, explanations and examples a reader needs) and the questions readers will come with.`,
    outputSchema: {
      type: 'object',
      properties: {
        angle: { type: 'string', minLength: 1, maxLength: 500 },
        keyPoints: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 400 }, minItems: 3, maxItems: 10 },
        readerQuestions: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 300 }, minItems: 1, maxItems: 8 },
      },
      required: ['angle', 'keyPoints', 'readerQuestions'],
      additionalProperties: false,
    },
  },
  {
    name: 'outline',
    operation: 'outline',
    complexity: 'simple',
    maxTokens: 1_024,
    system: 'You are an editor planning a blog post.',
    prompt: `${CONTEXT}
Angle: {{steps.research.angle}}
Key points: {{steps.research.keyPoints}}
Reader questions: {{steps.research.readerQuestions}}

Plan the post: a working title and three to eight sections, each with a heading and the points it makes. Follow the angle and answer the readers' questions.`,
    outputSchema: {
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 1, maxLength: 200 },
        sections: {
          type: 'array',
          minItems: 3,
          maxItems: 8,
          items: {
            type: 'object',
            properties: {
              heading: { type: 'string', minLength: 1, maxLength: 200 },
              points: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 400 }, minItems: 1, maxItems: 8 },
            },
            required: ['heading', 'points'],
            additionalProperties: false,
          },
        },
      },
      required: ['title', 'sections'],
      additionalProperties: false,
    },
  },
  {
    name: 'draft',
    operation: 'draft',
    complexity: 'medium',
    maxTokens: 4_096,
    system: WRITER_SYSTEM,
    prompt: `${CONTEXT}
Working title: {{steps.outline.title}}
Outline: {{steps.outline.sections}}
Key points from research: {{steps.research.keyPoints}}

Write the whole post following the outline{{#input.keywords}}, using the keywords naturally (in headings where they fit){{/input.keywords}}. Give it a title, a URL slug (lowercase words joined by hyphens), an excerpt of one or two sentences, and the content in Markdown.`,
    outputSchema: POST_SCHEMA,
  },
  {
    name: 'assess',
    operation: 'assess',
    complexity: 'medium',
    maxTokens: 1_024,
    system: ASSESSOR_SYSTEM,
    prompt: `Assess this blog post.
${CONTEXT}
Title: {{steps.draft.title}}
Slug: {{steps.draft.slug}}
Excerpt: {{steps.draft.excerpt}}
Content:
<<<
{{steps.draft.content}}
>>>`,
    outputSchema: ASSESSMENT_SCHEMA,
  },
  {
    name: 'refine',
    operation: 'refine',
    complexity: 'medium',
    maxTokens: 4_096,
    system: WRITER_SYSTEM,
    prompt: `${CONTEXT}
An editor assessed the post below (scores 0–10, overall 0–100):
{{steps.assess}}

Revise the post: make the changes the feedback asks for, raise the weakest criteria, keep what works. Return the whole revised post: title, slug (lowercase words joined by hyphens), excerpt and content in Markdown.

Title: {{steps.draft.title}}
Slug: {{steps.draft.slug}}
Excerpt: {{steps.draft.excerpt}}
Content:
<<<
{{steps.draft.content}}
>>>`,
    outputSchema: POST_SCHEMA,
  },
];

const GATE: QualityGate = { assessStep: 'assess', refineStep: 'refine', scoreField: 'overall', threshold: 70, maxRounds: 2 };

export const BLOG_POST: ProfileDefinition = {
  key: 'blog-post',
  version: 1,
  name: 'Blog post',
  description:
    'Researches, outlines and drafts a blog post, then an editor scores it on seven criteria; below 70 overall it is revised by a stronger model and scored again (at most twice). Output: title, slug, excerpt, Markdown content, the scores and the rounds of revision.',
  builtIn: true,
  tenantId: null,
  cacheScope: 'tenant',
  inputSchema: {
    type: 'object',
    properties: {
      topic: { type: 'string', minLength: 1, maxLength: 500 },
      audience: { type: 'string', minLength: 1, maxLength: 300 },
      tone: { type: 'string', minLength: 1, maxLength: 100 },
      keywords: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 100 }, maxItems: 20 },
    },
    required: ['topic'],
    additionalProperties: false,
  },
  // title, slug, excerpt, content + scores (the last assessment) + rounds
  outputSchema: deriveOutputSchema({ steps: STEPS, qualityGate: GATE }) ?? POST_SCHEMA,
  steps: STEPS,
  qualityGate: GATE,
};
