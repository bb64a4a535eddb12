import type { Rng } from './rng';

/** Plausible, deterministic English prose built from a few templates and the prompt's keywords. */

const STOPWORDS = new Set(
  (
    'about above after again against all also among and another any are around because been before being below ' +
    'between both but can could did does doing down during each either every few for from further had has have ' +
    'having her here hers herself him himself his how however into its itself just like more most much must ' +
    'myself need never next not now off once only other ought our ours ourselves out over own please rather ' +
    'really same shall she should since some such than that the their theirs them themselves then there these ' +
    'they this those through too under until upon very want was were what when where which while who whom whose ' +
    'why will with within without would you your yours yourself yourselves return answer json object schema ' +
    'following given using write tell give make short brief detailed words sentence sentences respond reply ' +
    'assistant user system helpful based format output field fields value values string number describe ' +
    'explain summarize summarise analyze analyse provide generate create classify extract identify include ' +
    'paragraph paragraphs bullet bullets points tokens return respond lyrics below above text content'
  ).split(' '),
);

const NOUNS = [
  'theme',
  'pattern',
  'structure',
  'message',
  'tone',
  'rhythm',
  'narrative',
  'detail',
  'contrast',
  'tension',
  'perspective',
  'balance',
  'context',
  'approach',
  'result',
  'idea',
  'voice',
  'image',
  'moment',
  'story',
  'signal',
  'outcome',
  'framework',
  'sequence',
  'choice',
];
const VERBS = [
  'shapes',
  'reinforces',
  'highlights',
  'reflects',
  'connects',
  'frames',
  'softens',
  'sharpens',
  'carries',
  'reveals',
  'supports',
  'echoes',
  'grounds',
  'extends',
  'balances',
];
const ADJECTIVES = [
  'clear',
  'subtle',
  'consistent',
  'vivid',
  'measured',
  'distinct',
  'warm',
  'careful',
  'layered',
  'steady',
  'open',
  'honest',
  'practical',
  'focused',
  'familiar',
];
const ADVERBS = ['quietly', 'clearly', 'gradually', 'consistently', 'naturally', 'deliberately'];

const TEMPLATES = [
  'The {A} {N} {V} the {N2} in a way that feels {A2}.',
  '{KC} stands out because it {V} a {A} {N}.',
  'A closer look at {K} shows how the {N} {ADV} {V} the {N2}.',
  'This suggests that {K} and {K2} are closely linked.',
  'Overall, the {N} remains {A}, with {K} at its core.',
  'In practice, {K} {V} the {N} more than it first appears.',
  'Taken together, these points make the {N} feel {A} and {A2}.',
  'The {N} around {K} {ADV} {V} the wider {N2}.',
  'It is worth noting that the {N} {V} {K} without losing its {A} {N2}.',
  'As a result, {K} gives the {N} a {A} sense of {N2}.',
];

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function titleCase(s: string): string {
  return s
    .split(' ')
    .map((w) => capitalize(w))
    .join(' ');
}

/** Up to `limit` distinctive words of the text, in order of first appearance. */
export function extractKeywords(text: string, limit = 8): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.toLowerCase().match(/[a-z][a-z'-]{3,}/g) ?? []) {
    const w = raw.replace(/^'+|'+$/g, '');
    if (w.length < 5 || STOPWORDS.has(w) || seen.has(w)) continue;
    seen.add(w);
    out.push(w);
    if (out.length >= limit) break;
  }
  return out;
}

function fill(template: string, rng: Rng, keywords: readonly string[]): string {
  const kws = keywords.length > 0 ? keywords : NOUNS;
  const k = rng.pick(kws);
  const k2 = kws.length > 1 ? rng.pick(kws.filter((w) => w !== k)) : rng.pick(NOUNS);
  const n = rng.pick(NOUNS);
  const n2 = rng.pick(NOUNS.filter((w) => w !== n));
  const a = rng.pick(ADJECTIVES);
  const a2 = rng.pick(ADJECTIVES.filter((w) => w !== a));
  return template
    .replace('{KC}', capitalize(k))
    .replace('{K2}', k2)
    .replace('{K}', k)
    .replace('{N2}', n2)
    .replace('{N}', n)
    .replace('{A2}', a2)
    .replace('{A}', a)
    .replace('{V}', rng.pick(VERBS))
    .replace('{ADV}', rng.pick(ADVERBS));
}

export function sentence(rng: Rng, keywords: readonly string[]): string {
  return capitalize(fill(rng.pick(TEMPLATES), rng, keywords));
}

/** A short phrase of `words` words (no final period). */
export function phrase(rng: Rng, keywords: readonly string[], words: number): string {
  const pool = [...keywords, ...ADJECTIVES.slice(0, 6), ...NOUNS.slice(0, 10)];
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(i === words - 1 ? rng.pick(keywords.length > 0 ? keywords : NOUNS) : rng.pick(pool));
  return out.join(' ');
}

/**
 * Prose of at least `minChars` characters (or exactly `sentences` sentences), ending on a full
 * sentence; paragraphs of 3–5 sentences.
 */
export function prose(rng: Rng, keywords: readonly string[], minChars: number, sentences?: number): string {
  const parts: string[] = [];
  let length = 0;
  let inParagraph = 0;
  let paragraphSize = rng.int(3, 5);
  while (sentences !== undefined ? parts.length < sentences : length < minChars || parts.length === 0) {
    const s = sentence(rng, keywords);
    const sep = parts.length === 0 ? '' : inParagraph >= paragraphSize ? '\n\n' : ' ';
    if (sep === '\n\n') {
      inParagraph = 0;
      paragraphSize = rng.int(3, 5);
    }
    parts.push(sep + s);
    length += sep.length + s.length;
    inParagraph++;
  }
  return parts.join('');
}
