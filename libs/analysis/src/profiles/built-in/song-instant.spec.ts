import { compileSchema } from '../../pipeline/json-schema';
import { SONG_ANALYSIS } from './song-analysis';
import { INSTANT_PASSES, songRulesReview } from './song-instant';

const valid = compileSchema(SONG_ANALYSIS.outputSchema);

describe('song-analysis instant pass (rules)', () => {
  it('finds the lines the word lists flag, one concern per category and line at its most severe', () => {
    const review = songRulesReview({
      title: 'Night',
      artist: 'X',
      lyrics: 'I will kill you, murder in the night\nPass the whiskey\nThe sun comes up on the hill',
    });
    expect(review.concerns).toEqual([
      { category: 'violence', severity: 'high', line: 'I will kill you, murder in the night' },
      { category: 'substance', severity: 'low', line: 'Pass the whiskey' },
    ]);
    expect(review.score).toBe(100 - 35 - 5);
    expect(review.verdict).toBe('caution'); // a high-severity concern
    expect(valid.problems(review)).toEqual([]);
  });

  it('matches whole words and stems, not parts of other words', () => {
    // "skill" holds "kill", "shell" holds "hell", "Hellen" starts with it: none is a concern
    expect(songRulesReview({ title: 't', artist: 'a', lyrics: 'A skill to shell the peas\nHellen sings' }).concerns).toEqual([]);
    expect(songRulesReview({ title: 't', artist: 'a', lyrics: 'Killing time' }).concerns).toEqual([
      { category: 'violence', severity: 'medium', line: 'Killing time' },
    ]);
  });

  it('approves clean lyrics, rejects a pile of explicit ones, and always answers in the profile’s output shape', () => {
    const clean = songRulesReview({ title: 'Morning', artist: 'a', lyrics: 'Morning light on the water\nwe carry the morning home' });
    expect(clean).toMatchObject({ concerns: [], score: 100, verdict: 'approved' });
    expect(clean.themes[0]).toBe('morning');
    const explicit = songRulesReview({ title: 'x', artist: 'a', lyrics: 'fuck\nshit\nmurder\nsatan\nporn' });
    expect(explicit.verdict).toBe('rejected');
    expect(explicit.score).toBe(0);
    for (const r of [clean, explicit, songRulesReview({ title: 'x', artist: 'a', lyrics: '...' })]) expect(valid.problems(r)).toEqual([]);
  });

  it('is the pass song-analysis names', () => {
    expect(SONG_ANALYSIS.instantPass).toBe('song-rules');
    expect(INSTANT_PASSES['song-rules']).toBe(songRulesReview);
  });
});
