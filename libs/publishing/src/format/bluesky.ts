// A post as a Bluesky record: at most 300 graphemes of text made from the title and excerpt, hashtags from
// the tags as far as they fit, facets (UTF-8 byte ranges) for the links and #tags in that text, and a link
// card pointing at the canonical or own-blog URL. Lengths are graphemes as Bluesky counts them (an emoji
// with modifiers or a letter with combining marks is one), and text is only ever cut between graphemes.
import { RichText, type AppBskyRichtextFacet } from '@atproto/api';
import type { TargetPost } from '../targets/publish-target';
import { markdownToText } from './markdown';

export const BLUESKY_MAX_GRAPHEMES = 300;
/** Hashtags never take more than this, so the title and excerpt keep most of the post. */
const TAGS_BUDGET = 80;
/** Bluesky's limit on one tag, without the `#`. */
const TAG_MAX_GRAPHEMES = 64;
const CARD_DESCRIPTION_MAX = 300;
const ELLIPSIS = '…';

export interface BlueskyPostRecord {
  $type: 'app.bsky.feed.post';
  text: string;
  facets?: AppBskyRichtextFacet.Main[];
  embed?: { $type: 'app.bsky.embed.external'; external: { uri: string; title: string; description: string } };
  createdAt: string;
  [key: string]: unknown;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

export function graphemeLength(text: string): number {
  return new RichText({ text }).graphemeLength;
}

/**
 * `text` cut to at most `max` graphemes, ending in an ellipsis when cut: at the last space when one is near
 * the end (no half words), otherwise at a grapheme boundary.
 */
export function truncateGraphemes(text: string, max: number): string {
  const parts = graphemes(text);
  if (parts.length <= max) return text;
  if (max <= 0) return '';
  let keep = parts.slice(0, max - 1);
  let lastSpace = -1;
  for (let i = keep.length - 1; i >= 0 && keep.length - i <= 20; i--) {
    if (/^\s+$/u.test(keep[i] ?? '')) {
      lastSpace = i;
      break;
    }
  }
  if (lastSpace > 0) keep = keep.slice(0, lastSpace);
  // No dangling separator before the ellipsis ("word,…"); closing brackets and quotes stay.
  return `${keep.join('').replace(/[\s,;:.\-–—]+$/u, '')}${ELLIPSIS}`;
}

/** `#Tag` for a tag name, or null when nothing of it can be a hashtag (Bluesky: no spaces, not only digits). */
export function hashtagFor(tag: string): string | null {
  const word = tag.normalize('NFC').replace(/[^\p{L}\p{M}\p{N}_]/gu, '');
  if (!word || /^\d+$/.test(word) || graphemes(word).length > TAG_MAX_GRAPHEMES) return null;
  return `#${word}`;
}

/** The text of the post: title, blank line, excerpt; hashtags on the last line. */
export function blueskyText(post: Pick<TargetPost, 'title' | 'excerpt' | 'content' | 'tags'>, max = BLUESKY_MAX_GRAPHEMES): string {
  const title = oneLine(post.title);
  const excerpt = oneLine(post.excerpt?.trim() ? post.excerpt : markdownToText(post.content));
  const tags: string[] = [];
  let tagsLength = 0;
  for (const tag of post.tags) {
    const hashtag = hashtagFor(tag);
    if (!hashtag || tags.some((t) => t.toLowerCase() === hashtag.toLowerCase())) continue;
    const added = graphemes(hashtag).length + (tags.length ? 1 : 0);
    if (tagsLength + added > Math.min(TAGS_BUDGET, max)) continue;
    tags.push(hashtag);
    tagsLength += added;
  }
  const tagLine = tags.join(' ');
  const budget = max - (tagLine ? graphemes(tagLine).length + 2 : 0);
  let body = title;
  const titleLength = graphemes(title).length;
  if (titleLength > budget) {
    body = truncateGraphemes(title, budget);
  } else if (excerpt && excerpt !== title && budget - titleLength - 2 >= 20) {
    body = `${title}\n\n${truncateGraphemes(excerpt, budget - titleLength - 2)}`;
  }
  return tagLine ? `${body}\n\n${tagLine}` : body;
}

/** Link and tag facets of `text`, byte offsets in UTF-8 (mentions would need a handle lookup, so none). */
export function blueskyFacets(text: string): AppBskyRichtextFacet.Main[] {
  const rt = new RichText({ text });
  rt.detectFacetsWithoutResolution();
  return (rt.facets ?? [])
    .map((facet) => ({
      ...facet,
      features: facet.features.filter((f) => f.$type === 'app.bsky.richtext.facet#link' || f.$type === 'app.bsky.richtext.facet#tag'),
    }))
    .filter((facet) => facet.features.length > 0);
}

/** The full record for `app.bsky.feed.post`. */
export function blueskyRecord(post: TargetPost, createdAt: Date): BlueskyPostRecord {
  const text = blueskyText(post);
  const facets = blueskyFacets(text);
  const record: BlueskyPostRecord = { $type: 'app.bsky.feed.post', text, createdAt: createdAt.toISOString() };
  if (facets.length) record.facets = facets;
  const uri = post.canonicalUrl ?? post.blogUrl;
  if (uri) {
    const description = oneLine(post.excerpt?.trim() ? post.excerpt : markdownToText(post.content));
    record.embed = {
      $type: 'app.bsky.embed.external',
      external: { uri, title: post.title, description: truncateGraphemes(description, CARD_DESCRIPTION_MAX) },
    };
  }
  return record;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
