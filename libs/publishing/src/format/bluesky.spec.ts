import { RichText } from '@atproto/api';
import type { TargetPost } from '../targets/publish-target';
import { BLUESKY_MAX_GRAPHEMES, blueskyFacets, blueskyRecord, blueskyText, graphemeLength, hashtagFor, truncateGraphemes } from './bluesky';

const post = (over: Partial<TargetPost> = {}): TargetPost => ({
  id: 'p1',
  title: 'Shipping Margin',
  content: '# Body\n\nThe **markdown** body.',
  excerpt: 'What we learned.',
  slug: 'shipping',
  tags: ['release', 'Open Source'],
  featuredImageUrl: null,
  canonicalUrl: null,
  blogUrl: 'https://margin.example/blog/acme/shipping',
  ...over,
});

const utf8 = (s: string) => Buffer.from(s, 'utf8');
/** The text a facet points at, read by UTF-8 byte offsets as Bluesky clients do. */
const facetText = (text: string, f: { index: { byteStart: number; byteEnd: number } }) =>
  utf8(text).subarray(f.index.byteStart, f.index.byteEnd).toString('utf8');

describe('Bluesky formatting', () => {
  it('makes title, excerpt and hashtags with tag facets', () => {
    const record = blueskyRecord(post(), new Date('2026-01-01T00:00:00Z'));
    expect(record.text).toBe('Shipping Margin\n\nWhat we learned.\n\n#release #OpenSource');
    expect(record.createdAt).toBe('2026-01-01T00:00:00.000Z');
    expect(record.facets?.map((f) => [facetText(record.text, f), f.features[0]])).toEqual([
      ['#release', { $type: 'app.bsky.richtext.facet#tag', tag: 'release' }],
      ['#OpenSource', { $type: 'app.bsky.richtext.facet#tag', tag: 'OpenSource' }],
    ]);
    expect(record.embed).toEqual({
      $type: 'app.bsky.embed.external',
      external: { uri: 'https://margin.example/blog/acme/shipping', title: 'Shipping Margin', description: 'What we learned.' },
    });
  });

  it('prefers the canonical URL for the card, and has no card without any URL', () => {
    expect(blueskyRecord(post({ canonicalUrl: 'https://example.com/c' }), new Date()).embed?.external.uri).toBe('https://example.com/c');
    expect(blueskyRecord(post({ blogUrl: null }), new Date()).embed).toBeUndefined();
  });

  it('uses the plain text of the content when there is no excerpt', () => {
    expect(blueskyText(post({ excerpt: null, tags: [] }))).toBe('Shipping Margin\n\nBody The markdown body.');
  });

  it('link facets carry UTF-8 byte offsets after emoji and CJK text', () => {
    const text = blueskyText(post({ title: '日本語 👩🏽‍💻 launch', excerpt: 'read https://example.com/a?b=1 now', tags: ['東京'] }));
    const facets = blueskyFacets(text);
    const link = facets.find((f) => f.features[0]?.$type === 'app.bsky.richtext.facet#link')!;
    expect(facetText(text, link)).toBe('https://example.com/a?b=1');
    expect(link.features[0]).toEqual({ $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com/a?b=1' });
    // UTF-16 index and byte offset differ here: a facet computed on JS string indexes would be wrong.
    expect(link.index.byteStart).toBe(utf8(text.slice(0, text.indexOf('https'))).length);
    expect(link.index.byteStart).not.toBe(text.indexOf('https'));
    const tag = facets.find((f) => f.features[0]?.$type === 'app.bsky.richtext.facet#tag')!;
    expect(facetText(text, tag)).toBe('#東京');
  });

  it('never has mention facets (they would need a handle lookup)', () => {
    expect(blueskyFacets('hi @alice.bsky.social #tag')).toEqual([
      expect.objectContaining({ features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'tag' }] }),
    ]);
  });

  it('a text of exactly 300 graphemes stays as it is; 301 is cut to 300 with an ellipsis', () => {
    const exact = 'a'.repeat(300);
    expect(truncateGraphemes(exact, 300)).toBe(exact);
    const cut = truncateGraphemes('a'.repeat(301), 300);
    expect(graphemeLength(cut)).toBe(300);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('a post of exactly 300 graphemes is not cut; one more grapheme is', () => {
    const exact = blueskyText(post({ title: '🎉'.repeat(100), excerpt: 'é'.repeat(198), tags: [] }));
    expect(graphemeLength(exact)).toBe(300);
    expect(exact).not.toContain('…');
    const over = blueskyText(post({ title: '🎉'.repeat(100), excerpt: 'é'.repeat(199), tags: [] }));
    expect(graphemeLength(over)).toBe(300);
    expect(over.endsWith('…')).toBe(true);
  });

  it('counts and cuts graphemes: emoji sequences, flags and combining marks are never split', () => {
    const family = '👨‍👩‍👧‍👦';
    const text = family.repeat(400);
    const cut = truncateGraphemes(text, 300);
    expect(graphemeLength(cut)).toBe(300);
    expect(cut).toBe(`${family.repeat(299)}…`);
    const combining = 'e\u0301'.repeat(350); // é as e + combining acute
    const cutCombining = truncateGraphemes(combining, 300);
    expect(cutCombining).toBe(`${'e\u0301'.repeat(299)}…`);
    const flags = '🇫🇷🇯🇵'.repeat(200);
    expect(truncateGraphemes(flags, 300)).toBe(`${'🇫🇷🇯🇵'.repeat(149)}🇫🇷…`);
    // More bytes than graphemes: the limit is graphemes, not UTF-16 units or bytes.
    expect(graphemeLength(family.repeat(300))).toBe(300);
    expect(new RichText({ text: family.repeat(300) }).length).toBeGreaterThan(300);
  });

  it('cuts at a space near the end rather than mid-word', () => {
    const words = `${'word '.repeat(70)}end`;
    const cut = truncateGraphemes(words, 100);
    expect(cut).toBe(`${'word '.repeat(19).trim()}…`);
  });

  it('long posts fit in 300 graphemes with the hashtags that fit', () => {
    const tags = Array.from({ length: 30 }, (_, i) => `topic${i}`);
    const text = blueskyText(post({ title: 'T'.repeat(40), excerpt: `${'漢字と絵文字🎉 '.repeat(60)}`, tags }));
    expect(graphemeLength(text)).toBeLessThanOrEqual(BLUESKY_MAX_GRAPHEMES);
    const tagLine = text.split('\n\n').pop()!;
    expect(tagLine.startsWith('#topic0 #topic1')).toBe(true);
    expect(graphemeLength(tagLine)).toBeLessThanOrEqual(80);
    expect(text).toContain('…');
    // Every tag facet points at a whole hashtag.
    for (const f of blueskyFacets(text)) expect(facetText(text, f)).toMatch(/^#topic\d+$/);
  });

  it('a title over the limit is cut alone (no excerpt), tags still fit', () => {
    const text = blueskyText(post({ title: '🙂'.repeat(500), tags: ['x'] }));
    expect(graphemeLength(text)).toBe(300);
    expect(text.endsWith('…\n\n#x')).toBe(true);
  });

  it('hashtags drop spaces and punctuation; digit-only or empty tags are skipped', () => {
    expect(hashtagFor('Machine Learning!')).toBe('#MachineLearning');
    expect(hashtagFor('café')).toBe('#café');
    expect(hashtagFor('2026')).toBeNull();
    expect(hashtagFor('!!!')).toBeNull();
    expect(blueskyText(post({ tags: ['Rust', 'rust', '2026'] }))).toMatch(/\n\n#Rust$/);
  });
});
