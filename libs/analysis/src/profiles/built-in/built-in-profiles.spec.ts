import { compileSchema } from '../../pipeline/json-schema';
import { stepMessages } from '../../pipeline/pipeline-runner';
import { validateTemplates } from '../../pipeline/template';
import { unsafeProfilePatterns, validateProfile } from '../profile-validation';
import { BLOG_POST } from './blog-post';
import { BUILT_IN_PROFILES, builtInProfile } from './built-in-profiles';
import { QUALITY_ASSESSMENT } from './quality-assessment';
import { SONG_ANALYSIS } from './song-analysis';

const SAMPLE_INPUTS: Record<string, unknown[]> = {
  'song-analysis': [
    { title: 'Amazing Grace', artist: 'John Newton', lyrics: 'Amazing grace, how sweet the sound' },
    { title: 'Amazing Grace', artist: 'John Newton', lyrics: 'Amazing grace', rubric: 'Is it singable by a children’s choir?' },
  ],
  'blog-post': [{ topic: 'Composting' }, { topic: 'Composting', audience: 'renters', tone: 'witty', keywords: ['compost', 'bokashi'] }],
  'quality-assessment': [{ content: 'Some text worth assessing.' }],
};

describe('built-in profiles', () => {
  it('are the three documented ones, version 1, for everyone', () => {
    expect(BUILT_IN_PROFILES.map((p) => [p.key, p.version, p.builtIn, p.tenantId, p.cacheScope])).toEqual([
      ['song-analysis', 1, true, null, 'global'],
      ['blog-post', 1, true, null, 'tenant'],
      ['quality-assessment', 1, true, null, 'tenant'],
    ]);
    expect(builtInProfile('blog-post')).toBe(BLOG_POST);
    expect(builtInProfile('nope')).toBeUndefined();
  });

  it.each(BUILT_IN_PROFILES.map((p) => [p.key, p] as const))(
    '%s: schemas compile, step names are unique, templates refer only to what exists',
    (_key, profile) => {
      expect(validateProfile(profile)).toEqual([]);
      expect(validateTemplates(profile)).toEqual([]);
    },
  );

  it.each(BUILT_IN_PROFILES.map((p) => [p.key, p] as const))(
    '%s: every pattern in its schemas runs in linear time (no ReDoS)',
    async (_key, profile) => {
      expect(await unsafeProfilePatterns(profile)).toEqual([]);
    },
    30_000,
  );

  it.each(BUILT_IN_PROFILES.map((p) => [p.key, p] as const))('%s: sample inputs are valid and every template renders without leftovers', (key, profile) => {
    const input = compileSchema(profile.inputSchema);
    for (const sample of SAMPLE_INPUTS[key] ?? []) {
      expect(input.problems(sample)).toEqual([]);
      for (const step of profile.steps) {
        const steps = Object.fromEntries(profile.steps.map((s) => [s.name, { placeholder: true }]));
        for (const m of stepMessages(step, { input: sample, steps })) expect(m.content).not.toMatch(/\{\{/);
      }
    }
  });

  it('song-analysis: title, artist and lyrics are required strings; lyrics are bounded', () => {
    const v = compileSchema(SONG_ANALYSIS.inputSchema);
    expect(v.problems({ title: 'x', artist: 'y' })).toEqual(['lyrics is required']);
    expect(v.problems({ title: 'x', artist: 'y', lyrics: 'z'.repeat(20_001) })).toEqual(['lyrics must NOT have more than 20000 characters']);
    const out = compileSchema(SONG_ANALYSIS.outputSchema);
    const ok = {
      summary: 's',
      themes: ['grace'],
      concerns: [{ category: 'despair', severity: 'low', line: 'I once was lost' }],
      score: 90,
      verdict: 'approved',
    };
    expect(out.problems(ok)).toEqual([]);
    expect(out.problems({ ...ok, themes: [] })).not.toEqual([]);
    expect(out.problems({ ...ok, themes: Array(9).fill('t') })).not.toEqual([]);
    expect(out.problems({ ...ok, score: 101 })).not.toEqual([]);
    expect(out.problems({ ...ok, score: 50.5 })).not.toEqual([]);
    expect(out.problems({ ...ok, concerns: [{ category: 'despair', severity: 'severe', line: 'x' }] })).not.toEqual([]);
  });

  it('blog-post: research → outline → draft → assess → refine, gated at 70 overall for at most two rounds', () => {
    expect(BLOG_POST.steps.map((s) => [s.name, s.operation, s.complexity])).toEqual([
      ['research', 'research', 'simple'],
      ['outline', 'outline', 'simple'],
      ['draft', 'draft', 'medium'],
      ['assess', 'assess', 'medium'],
      ['refine', 'refine', 'medium'],
    ]);
    expect(BLOG_POST.qualityGate).toEqual({ assessStep: 'assess', refineStep: 'refine', scoreField: 'overall', threshold: 70, maxRounds: 2 });
    const out = compileSchema(BLOG_POST.outputSchema);
    const scores = { contentQuality: 7, seo: 7, relevance: 7, tone: 7, structure: 7, originality: 7, completeness: 7, overall: 70, feedback: 'ok' };
    const post = { title: 'T', slug: 'small-flat-composting-101', excerpt: 'E', content: '## Hi' };
    expect(out.problems({ ...post, scores, rounds: 1 })).toEqual([]);
    expect(out.problems({ ...post, slug: 'Small Flat Composting', scores, rounds: 1 })).toEqual(['slug must match pattern "^[a-z0-9]+(?:-[a-z0-9]+)*$"']);
    expect(out.problems({ ...post, scores: { ...scores, seo: 11 }, rounds: 0 })).toEqual(['scores.seo must be <= 10']);
    expect(out.problems({ ...post, scores, rounds: 3 })).toEqual(['rounds must be <= 2']);
    expect(out.problems(post)).toEqual(['scores is required', 'rounds is required']);
  });

  it('quality-assessment: the seven criteria alone', () => {
    expect(QUALITY_ASSESSMENT.steps.map((s) => [s.name, s.operation, s.complexity])).toEqual([['assess', 'assess', 'medium']]);
    expect(Object.keys(QUALITY_ASSESSMENT.outputSchema['properties'] as object)).toEqual([
      'contentQuality',
      'seo',
      'relevance',
      'tone',
      'structure',
      'originality',
      'completeness',
      'overall',
      'feedback',
    ]);
  });
});
