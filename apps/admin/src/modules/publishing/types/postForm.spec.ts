import { makePost } from '../../../testing/fixtures';
import { EMPTY_POST_FORM, isPostDirty, parseCreatePost, parseTags, parseUpdatePost, postFormOf } from './postForm';

it('parses tags: trimmed, no blanks, no repeats', () => {
  expect(parseTags(' ai, Machine learning,, AI ,music ')).toEqual(['ai', 'Machine learning', 'music']);
});

describe('parseCreatePost', () => {
  it('sends what was filled in', () => {
    expect(parseCreatePost({ ...EMPTY_POST_FORM, title: ' Hello ', content: 'Body', tags: 'a, b', canonicalUrl: 'https://example.com/hello' })).toEqual({
      ok: true,
      request: { title: 'Hello', content: 'Body', tags: ['a', 'b'], canonicalUrl: 'https://example.com/hello' },
    });
  });

  it('names the fields that are wrong', () => {
    expect(parseCreatePost({ ...EMPTY_POST_FORM, slug: 'Not A Slug', featuredImageUrl: 'ftp://x' })).toEqual({
      ok: false,
      errors: {
        title: 'Give the post a title.',
        content: 'Write the post’s content.',
        slug: 'Use lowercase letters, digits and single hyphens, e.g. my-first-post.',
        featuredImageUrl: 'Enter a full http:// or https:// URL.',
      },
    });
  });
});

describe('parseUpdatePost', () => {
  const post = makePost({ canonicalUrl: 'https://example.com/original' });

  it('sends only changes, and null for a cleared optional field', () => {
    const values = { ...postFormOf(post), title: 'New title', canonicalUrl: '', tags: 'music, spring, hymns' };
    expect(parseUpdatePost(post, values)).toEqual({ ok: true, request: { title: 'New title', canonicalUrl: null, tags: ['music', 'spring', 'hymns'] } });
    expect(parseUpdatePost(post, postFormOf(post))).toEqual({ ok: true, request: {} });
  });

  it('knows when the form differs from the saved post', () => {
    expect(isPostDirty(post, postFormOf(post))).toBe(false);
    expect(isPostDirty(post, { ...postFormOf(post), tags: 'music,spring' })).toBe(false);
    expect(isPostDirty(post, { ...postFormOf(post), content: `${post.content}!` })).toBe(true);
  });
});
