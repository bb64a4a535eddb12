import { budgetOf, deadlineOf, matchMentions, readByRules, type EndpointChoice } from './intake-rules';

const NOW = new Date('2026-12-02T10:00:00Z'); // a Wednesday

describe('intake rules', () => {
  it('reads the seed sentence: a blog post, its topic and audience, the budget, and both targets', () => {
    const r = readByRules('Create a blog post about AI safety for tech leads, auto-publish to LinkedIn and our blog, under $0.50', NOW);
    expect(r).toEqual({
      profile: 'blog-post',
      topic: 'AI safety',
      audience: 'tech leads',
      tone: null,
      budgetUsd: 0.5,
      deadline: null,
      mentions: ['blog', 'linkedin'],
    });
  });

  it('finds budgets only where the sentence caps spending', () => {
    expect(budgetOf('under $0.50')).toBe(0.5);
    expect(budgetOf('a budget of $2')).toBe(2);
    expect(budgetOf('max $1.20 please')).toBe(1.2);
    expect(budgetOf('$3 budget')).toBe(3);
    expect(budgetOf('a post about the $5 coffee')).toBeNull();
  });

  it('reads deadlines: a date, a weekday (the next one), relative times, today and tomorrow', () => {
    expect(deadlineOf('by 2026-12-05', NOW)).toBe('2026-12-05T23:59:59.000Z');
    expect(deadlineOf('by 2026-12-05 14:30', NOW)).toBe('2026-12-05T14:30:00.000Z');
    expect(deadlineOf('by Friday', NOW)).toBe('2026-12-04T23:59:59.000Z');
    expect(deadlineOf('by Wednesday', NOW)).toBe('2026-12-09T23:59:59.000Z');
    expect(deadlineOf('within 2 hours', NOW)).toBe('2026-12-02T12:00:00.000Z');
    expect(deadlineOf('tomorrow', NOW)).toBe('2026-12-03T23:59:59.000Z');
    expect(deadlineOf('by today', NOW)).toBe('2026-12-02T23:59:59.000Z');
    expect(deadlineOf('no rush', NOW)).toBeNull();
  });

  it('tells song analyses from posts, finds a tone, and names endpoints the tenant calls by name', () => {
    const r = readByRules('Analyze the lyrics of my playlist in a formal tone and send it to Team Hook', NOW, ['Team Hook', 'x']);
    expect(r.profile).toBe('song-analysis');
    expect(r.tone).toBe('formal');
    expect(r.mentions).toEqual(['team hook']);
    expect(readByRules('Hello there', NOW).profile).toBeNull();
  });

  it('matches a mention to one endpoint by name or type, and leaves several or none to the tenant', () => {
    const eps: EndpointChoice[] = [
      { id: 'b', name: 'Company blog', type: 'blog', enabled: true },
      { id: 'w1', name: 'WP main', type: 'wordpress', enabled: true },
      { id: 'w2', name: 'WP staging', type: 'wordpress', enabled: true },
      { id: 'off', name: 'Old blog', type: 'blog', enabled: false },
    ];
    const [blog, wp, linkedin] = matchMentions(['blog', 'wordpress', 'linkedin'], eps);
    expect(blog).toEqual({ mention: 'blog', endpoint: eps[0] });
    expect(wp).toEqual({ mention: 'wordpress', candidates: [eps[1], eps[2]] });
    expect(linkedin).toEqual({ mention: 'linkedin', candidates: eps.slice(0, 3) });
  });
});
