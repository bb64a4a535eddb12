// The instant pass of song-analysis: a rules review of the lyrics, answered in microseconds and at no cost
// while the full, model-made review runs in the queue. It reads what the words plainly say (a word list per
// concern category), so it errs towards "caution": the full review, which understands context, replaces it.
import { CONCERN_CATEGORIES } from './song-analysis';

type Category = (typeof CONCERN_CATEGORIES)[number];
type Severity = 'low' | 'medium' | 'high';

interface Rule {
  category: Category;
  severity: Severity;
  words: readonly string[];
}

/** Whole words (or stems, marked with a trailing `*`), lower case. */
const RULES: readonly Rule[] = [
  { category: 'profanity', severity: 'high', words: ['fuck*', 'motherfuck*', 'cunt*'] },
  { category: 'profanity', severity: 'medium', words: ['shit*', 'bitch*', 'bastard*', 'asshole*', 'dick'] },
  { category: 'profanity', severity: 'low', words: ['damn*', 'hell', 'crap', 'piss*'] },
  { category: 'violence', severity: 'high', words: ['murder*', 'slaughter*', 'massacre*', 'torture*'] },
  { category: 'violence', severity: 'medium', words: ['kill*', 'gun*', 'shoot*', 'stab*', 'blood*', 'knife', 'bullet*', 'revenge'] },
  { category: 'sexual', severity: 'high', words: ['porn*', 'naked', 'orgasm*'] },
  { category: 'sexual', severity: 'medium', words: ['sex*', 'sexy', 'strip*', 'lust*', 'seduc*'] },
  { category: 'substance', severity: 'medium', words: ['cocaine', 'heroin', 'meth', 'weed', 'high', 'stoned', 'drunk', 'wasted', 'pills'] },
  { category: 'substance', severity: 'low', words: ['whiskey', 'vodka', 'beer*', 'wine', 'liquor', 'smoke*', 'drink*'] },
  { category: 'occult', severity: 'high', words: ['satan*', 'lucifer', 'demon*', 'witchcraft'] },
  { category: 'occult', severity: 'medium', words: ['spell*', 'curse*', 'ritual*', 'hex'] },
  { category: 'despair', severity: 'high', words: ['suicide', 'kill myself', 'end my life'] },
  { category: 'despair', severity: 'medium', words: ['hopeless*', 'worthless', 'give up', 'want to die'] },
  { category: 'other', severity: 'low', words: ['hate', 'greed*'] },
];

const PENALTY: Record<Severity, number> = { low: 5, medium: 15, high: 35 };
const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const MATCHERS = RULES.map((rule) => ({
  ...rule,
  re: new RegExp(`\\b(?:${rule.words.map((w) => (w.endsWith('*') ? `${escape(w.slice(0, -1))}\\w*` : `${escape(w)}\\b`)).join('|')})`, 'i'),
}));

const STOP_WORDS = new Set(
  `a an and are as at be but by for from have he her his i i'm in is it it's its me my no not of oh on or our she so that the their them they this to up us was we were what when where who will with you your yeah verse chorus bridge intro outro`.split(
    ' ',
  ),
);

export interface SongReview {
  summary: string;
  themes: string[];
  concerns: Array<{ category: Category; severity: Severity; line: string }>;
  score: number;
  verdict: 'approved' | 'caution' | 'rejected';
}

/** A review of `input.lyrics` in song-analysis's output shape, from the word lists alone. */
export function songRulesReview(input: Record<string, unknown>): SongReview {
  const lyrics = typeof input['lyrics'] === 'string' ? input['lyrics'] : '';
  const title = typeof input['title'] === 'string' ? input['title'] : 'this song';
  const lines = lyrics
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const concerns: SongReview['concerns'] = [];
  for (const line of lines) {
    // the most severe match per category and line
    const best = new Map<Category, Severity>();
    for (const m of MATCHERS) {
      if (!m.re.test(line)) continue;
      const had = best.get(m.category);
      if (!had || SEVERITY_RANK[m.severity] > SEVERITY_RANK[had]) best.set(m.category, m.severity);
    }
    for (const [category, severity] of best) if (concerns.length < 30) concerns.push({ category, severity, line: line.slice(0, 500) });
  }
  const score = Math.max(0, 100 - concerns.reduce((n, c) => n + PENALTY[c.severity], 0));
  const high = concerns.some((c) => c.severity === 'high');
  const verdict = score < 40 ? 'rejected' : score < 70 || high ? 'caution' : 'approved';
  return {
    summary:
      concerns.length === 0
        ? `Provisional review of "${title}" by word lists: no concern found in ${lines.length} lines; the full review follows.`
        : `Provisional review of "${title}" by word lists: ${concerns.length} possible concern(s) in ${lines.length} lines; the full review follows.`,
    themes: themesOf(lyrics),
    concerns,
    score,
    verdict,
  };
}

/** The most frequent content words (one to five; "lyrics" when there are none). */
function themesOf(lyrics: string): string[] {
  const counts = new Map<string, number>();
  for (const word of lyrics.toLowerCase().match(/[a-z][a-z']{2,}/g) ?? []) {
    if (STOP_WORDS.has(word)) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 5)
    .map(([w]) => w.slice(0, 80));
  return top.length ? top : ['lyrics'];
}

/** The instant passes profiles may name (`ProfileDefinition.instantPass`): input → a result in the profile's output shape. */
export const INSTANT_PASSES: Readonly<Record<string, (input: Record<string, unknown>) => unknown>> = {
  'song-rules': songRulesReview,
};
