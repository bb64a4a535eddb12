import type { CreatePostRequest, PostView, UpdatePostRequest } from '@margin/contracts';

export interface PostFormValues {
  title: string;
  slug: string;
  excerpt: string;
  /** Comma-separated. */
  tags: string;
  featuredImageUrl: string;
  canonicalUrl: string;
  content: string;
}

export type PostField = keyof PostFormValues;
export type PostFormErrors = Partial<Record<PostField, string>>;

export const EMPTY_POST_FORM: PostFormValues = { title: '', slug: '', excerpt: '', tags: '', featuredImageUrl: '', canonicalUrl: '', content: '' };

export function postFormOf(post: PostView): PostFormValues {
  return {
    title: post.title,
    slug: post.slug,
    excerpt: post.excerpt ?? '',
    tags: post.tags.join(', '),
    featuredImageUrl: post.featuredImageUrl ?? '',
    canonicalUrl: post.canonicalUrl ?? '',
    content: post.content,
  };
}

/** The request paths the server names in its messages, per form field. */
export const POST_ERROR_PATHS: Record<PostField, string[]> = {
  title: ['title'],
  slug: ['slug'],
  excerpt: ['excerpt'],
  tags: ['tags'],
  featuredImageUrl: ['featuredImageUrl'],
  canonicalUrl: ['canonicalUrl'],
  content: ['content'],
};

/** "ai, Machine learning,  ai" → ["ai", "Machine learning"]: trimmed, blanks and repeats dropped. */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  const tags: string[] = [];
  for (const part of text.split(',')) {
    const tag = part.trim();
    if (!tag || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    tags.push(tag);
  }
  return tags;
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const TITLE_MAX = 300;

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function check(values: PostFormValues): PostFormErrors {
  const errors: PostFormErrors = {};
  const title = values.title.trim();
  if (!title) errors.title = 'Give the post a title.';
  else if (title.length > TITLE_MAX) errors.title = `Use at most ${TITLE_MAX} characters.`;
  if (!values.content.trim()) errors.content = 'Write the post’s content.';
  const slug = values.slug.trim();
  if (slug && !SLUG.test(slug)) errors.slug = 'Use lowercase letters, digits and single hyphens, e.g. my-first-post.';
  for (const field of ['featuredImageUrl', 'canonicalUrl'] as const) {
    const url = values[field].trim();
    if (url && !isHttpUrl(url)) errors[field] = 'Enter a full http:// or https:// URL.';
  }
  return errors;
}

export type PostFormResult<R> = { ok: true; request: R } | { ok: false; errors: PostFormErrors };

/** A new post: optional fields left blank are not sent (the server makes the slug from the title). */
export function parseCreatePost(values: PostFormValues): PostFormResult<CreatePostRequest> {
  const errors = check(values);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const request: CreatePostRequest = { title: values.title.trim(), content: values.content };
  if (values.slug.trim()) request.slug = values.slug.trim();
  if (values.excerpt.trim()) request.excerpt = values.excerpt.trim();
  const tags = parseTags(values.tags);
  if (tags.length > 0) request.tags = tags;
  if (values.featuredImageUrl.trim()) request.featuredImageUrl = values.featuredImageUrl.trim();
  if (values.canonicalUrl.trim()) request.canonicalUrl = values.canonicalUrl.trim();
  return { ok: true, request };
}

const sameTags = (a: string[], b: string[]) => a.length === b.length && a.every((tag, i) => tag === b[i]);

/** Only what changed; a cleared optional field is sent as null (the slug cannot be cleared, only changed). */
export function parseUpdatePost(post: PostView, values: PostFormValues): PostFormResult<UpdatePostRequest> {
  const errors = check(values);
  if (!values.slug.trim()) errors.slug = 'Every post has a slug: enter one.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const request: UpdatePostRequest = {};
  if (values.title.trim() !== post.title) request.title = values.title.trim();
  if (values.slug.trim() !== post.slug) request.slug = values.slug.trim();
  if (values.content !== post.content) request.content = values.content;
  const optional = (text: string) => (text.trim() === '' ? null : text.trim());
  if (optional(values.excerpt) !== post.excerpt) request.excerpt = optional(values.excerpt);
  if (optional(values.featuredImageUrl) !== post.featuredImageUrl) request.featuredImageUrl = optional(values.featuredImageUrl);
  if (optional(values.canonicalUrl) !== post.canonicalUrl) request.canonicalUrl = optional(values.canonicalUrl);
  const tags = parseTags(values.tags);
  if (!sameTags(tags, post.tags)) request.tags = tags;
  return { ok: true, request };
}

/** Whether the form differs from the saved post (publishing sends the saved one, not the form). */
export function isPostDirty(post: PostView, values: PostFormValues): boolean {
  const saved = postFormOf(post);
  return (Object.keys(saved) as PostField[]).some((field) =>
    field === 'tags'
      ? !sameTags(parseTags(values.tags), post.tags)
      : field === 'content'
        ? values.content !== saved.content
        : values[field].trim() !== saved[field],
  );
}
