import type { ProfileDefinition } from '../../pipeline/pipeline.types';
import { ASSESSMENT_SCHEMA, ASSESSOR_SYSTEM } from './assessment';

export const QUALITY_ASSESSMENT: ProfileDefinition = {
  key: 'quality-assessment',
  version: 1,
  name: 'Quality assessment',
  description:
    'Scores a text on seven criteria (content quality, SEO, relevance, tone, structure, originality, completeness) from 0 to 10, with an overall score from 0 to 100 and feedback.',
  builtIn: true,
  tenantId: null,
  cacheScope: 'tenant',
  inputSchema: {
    type: 'object',
    properties: { content: { type: 'string', minLength: 1, maxLength: 100_000 } },
    required: ['content'],
    additionalProperties: false,
  },
  outputSchema: ASSESSMENT_SCHEMA,
  steps: [
    {
      name: 'assess',
      operation: 'assess',
      complexity: 'medium',
      maxTokens: 1_024,
      system: ASSESSOR_SYSTEM,
      prompt: `Assess this text.
<<<
{{input.content}}
>>>`,
      outputSchema: ASSESSMENT_SCHEMA,
    },
  ],
};
