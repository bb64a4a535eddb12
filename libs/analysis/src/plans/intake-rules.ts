// What a request sentence says plainly, read by rules: the figures a plan must never guess (budget, deadline,
// publishing targets) and the obvious parts of the brief. The intake model fills in what the rules do not find;
// where neither is sure, the plan asks.

/** The profiles a sentence can ask for, and the words that say so. */
const PROFILE_WORDS: ReadonlyArray<{ profile: string; re: RegExp }> = [
  { profile: 'blog-post', re: /\b(blog\s*post|article|post|write[- ]?up|blog)\b/i },
  { profile: 'song-analysis', re: /\b(songs?|lyrics|playlist|tracks?)\b/i },
];

/** Platforms people name, and the endpoint type that publishes there (null: Margin has no target of that kind). */
export const PLATFORM_WORDS: ReadonlyArray<{ word: string; re: RegExp; type: string | null }> = [
  { word: 'blog', re: /\b(?:our|my|the|own)\s+blog\b/i, type: 'blog' },
  { word: 'wordpress', re: /\bword\s?press\b/i, type: 'wordpress' },
  { word: 'ghost', re: /\bghost\b/i, type: 'ghost' },
  { word: 'bluesky', re: /\bblue\s?sky\b/i, type: 'bluesky' },
  { word: 'strapi', re: /\bstrapi\b/i, type: 'strapi' },
  { word: 'webhook', re: /\bweb\s?hook\b/i, type: 'webhook' },
  { word: 'linkedin', re: /\blinked\s?in\b/i, type: null },
  { word: 'twitter', re: /\b(twitter|x\.com)\b/i, type: null },
  { word: 'facebook', re: /\bfacebook\b/i, type: null },
  { word: 'instagram', re: /\binstagram\b/i, type: null },
  { word: 'mastodon', re: /\bmastodon\b/i, type: null },
  { word: 'medium', re: /\bmedium\.com\b|\bon medium\b/i, type: null },
  { word: 'substack', re: /\bsubstack\b/i, type: null },
  { word: 'newsletter', re: /\bnewsletter\b/i, type: null },
];

const TONES = [
  'formal',
  'casual',
  'friendly',
  'playful',
  'professional',
  'technical',
  'conversational',
  'persuasive',
  'neutral',
  'humorous',
  'serious',
  'inspiring',
];

/** Where a phrase of the brief ends: the next clause of the request. */
const CLAUSE_END = String.raw`(?=\s*(?:,|;|\.(?:\s|$)|\bfor\b|\bto\b|\bunder\b|\bbelow\b|\bby\b|\bwithin\b|\band\s+(?:auto|publish|post|share)|\bauto-?publish|\bpublish|\bin\s+an?\s+\w+\s+tone|$))`;

export interface RuleReading {
  profile: string | null;
  topic: string | null;
  audience: string | null;
  tone: string | null;
  budgetUsd: number | null;
  deadline: string | null;
  /** Platform words and endpoint names the sentence mentions (lower case, in order). */
  mentions: string[];
}

/** A dollar amount the sentence sets as the most to spend ("under $0.50", "budget of $2", "max $1.20"). */
export function budgetOf(sentence: string): number | null {
  const capped =
    /\b(?:under|below|less than|at most|no more than|up to|within|max(?:imum)?(?: of)?|budget(?: of| is|:)?|cap(?: of)?|for)\s*(?:usd\s*)?\$\s?(\d+(?:\.\d+)?)/i.exec(
      sentence,
    ) ?? /\$\s?(\d+(?:\.\d+)?)\s*(?:budget|max(?:imum)?|cap|or less)\b/i.exec(sentence);
  if (capped) return Number(capped[1]);
  return null;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** When the work must be done by, as an ISO time (end of that day, UTC, for a day), or null when none is said. */
export function deadlineOf(sentence: string, now: Date): string | null {
  const s = sentence.toLowerCase();
  const endOfDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 23, 59, 59)).toISOString();
  const iso = /\b(?:by|before|until|due)\s+(\d{4}-\d{2}-\d{2})(?:[t ](\d{2}:\d{2}))?/.exec(s);
  if (iso) {
    const at = new Date(iso[2] ? `${iso[1]}T${iso[2]}:00Z` : `${iso[1]}T23:59:59Z`);
    return Number.isNaN(at.getTime()) ? null : at.toISOString();
  }
  const rel = /\bwithin\s+(\d{1,3})\s*(minute|hour|day|week)s?\b|\bin\s+(\d{1,3})\s*(minute|hour|day|week)s?\b/.exec(s);
  if (rel) {
    const n = Number(rel[1] ?? rel[3]);
    const unit = (rel[2] ?? rel[4]) as 'minute' | 'hour' | 'day' | 'week';
    const ms = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 }[unit];
    return new Date(now.getTime() + n * ms).toISOString();
  }
  if (/\b(?:by|before|until)\s+(?:end of\s+)?today\b|\btonight\b/.test(s)) return endOfDay(now);
  if (/\b(?:by|before|until)?\s*tomorrow\b/.test(s)) return endOfDay(new Date(now.getTime() + 86_400_000));
  const day = /\b(?:by|before|until|on)\s+(?:next\s+)?(sunday|monday|tuesday|wednesday|thursday|friday|saturday)\b/.exec(s);
  if (day) {
    const target = WEEKDAYS.indexOf(day[1] as string);
    const ahead = (target - now.getUTCDay() + 7) % 7 || 7;
    return endOfDay(new Date(now.getTime() + ahead * 86_400_000));
  }
  return null;
}

/** The sentence read by the rules; `endpointNames` are the tenant's endpoints' names (matched as written). */
export function readByRules(sentence: string, now: Date, endpointNames: readonly string[] = []): RuleReading {
  const profile = PROFILE_WORDS.find((p) => p.re.test(sentence))?.profile ?? null;
  const topic = new RegExp(String.raw`\b(?:about|on the topic of|covering|on)\s+(.+?)${CLAUSE_END}`, 'i').exec(sentence)?.[1]?.trim() ?? null;
  const audience = new RegExp(String.raw`\bfor\s+((?!\$)(?:the\s+)?[a-z][\w'’ -]{1,80}?)${CLAUSE_END}`, 'i').exec(sentence)?.[1]?.trim() ?? null;
  const toneWord = new RegExp(String.raw`\b(${TONES.join('|')})\b`, 'i').exec(sentence)?.[1]?.toLowerCase() ?? null;
  const mentions: string[] = [];
  for (const name of endpointNames) {
    if (name.trim().length >= 3 && sentence.toLowerCase().includes(name.trim().toLowerCase())) mentions.push(name.trim().toLowerCase());
  }
  // a platform word inside a name already found ("Our blog") is that endpoint, not a second target
  for (const p of PLATFORM_WORDS) if (p.re.test(sentence) && !mentions.some((m) => m.includes(p.word))) mentions.push(p.word);
  return {
    profile,
    topic: topic && topic.length <= 500 ? topic : null,
    audience: audience && !/^\$/.test(audience) && audience.length <= 300 ? audience : null,
    tone: toneWord,
    budgetUsd: budgetOf(sentence),
    deadline: deadlineOf(sentence, now),
    mentions,
  };
}

export interface EndpointChoice {
  id: string;
  name: string;
  type: string;
  enabled: boolean;
}

export type MentionMatch = { mention: string; endpoint: EndpointChoice } | { mention: string; candidates: EndpointChoice[] };

/**
 * Each mention's endpoint: by name, else by the platform's endpoint type. One enabled match is the endpoint;
 * several, or none (a platform Margin cannot publish to, or no endpoint of that kind), are for the tenant to decide.
 */
export function matchMentions(mentions: readonly string[], endpoints: readonly EndpointChoice[]): MentionMatch[] {
  const usable = endpoints.filter((e) => e.enabled);
  return mentions.map((mention) => {
    const byName = usable.filter((e) => e.name.toLowerCase() === mention || e.name.toLowerCase().includes(mention));
    const type = PLATFORM_WORDS.find((p) => p.word === mention)?.type;
    const found = byName.length ? byName : type ? usable.filter((e) => e.type === type) : [];
    return found.length === 1 ? { mention, endpoint: found[0] as EndpointChoice } : { mention, candidates: found.length ? found : usable };
  });
}
