// The own blog's server-rendered pages and feeds. Everything that comes from a post is escaped (titles,
// excerpts, URLs) or sanitized (the content, rendered from markdown by format/markdown.ts).
import { Feed } from 'feed';
import { markdownToText, renderMarkdown } from '../format/markdown';

export interface BlogInfo {
  title: string;
  /** /blog/<slug>, absolute. */
  url: string;
}

export interface BlogPostPage {
  title: string;
  slug: string;
  excerpt: string | null;
  content: string;
  tags: readonly string[];
  featuredImageUrl: string | null;
  canonicalUrl: string | null;
  publishedAt: Date;
  updatedAt: Date;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

const postUrl = (blog: BlogInfo, slug: string) => `${blog.url}/${encodeURIComponent(slug)}`;

/** A meta description: the excerpt, else the start of the text. */
function description(p: Pick<BlogPostPage, 'excerpt' | 'content'>): string {
  const text = p.excerpt?.trim() || markdownToText(p.content);
  return text.length > 200 ? `${text.slice(0, 197).trimEnd()}…` : text;
}

const STYLE = `body{font:17px/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}
a{color:#1a5fb4}header a{color:inherit;text-decoration:none}article img{max-width:100%}time{color:#666;font-size:.9em}
pre{overflow:auto;background:#f4f4f4;padding:.75rem}li.post{margin:1.5rem 0;list-style:none}ul.posts{padding:0}`;

function page(o: { title: string; description: string; canonical: string; ogType: string; image: string | null; blog: BlogInfo; body: string }): string {
  const meta = [
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(o.title)}</title>`,
    `<meta name="description" content="${escapeHtml(o.description)}">`,
    `<link rel="canonical" href="${escapeHtml(o.canonical)}">`,
    `<link rel="alternate" type="application/rss+xml" title="${escapeHtml(o.blog.title)}" href="${escapeHtml(`${o.blog.url}/feed.xml`)}">`,
    `<link rel="alternate" type="application/atom+xml" href="${escapeHtml(`${o.blog.url}/feed.atom`)}">`,
    `<link rel="alternate" type="application/feed+json" href="${escapeHtml(`${o.blog.url}/feed.json`)}">`,
    `<meta property="og:site_name" content="${escapeHtml(o.blog.title)}">`,
    `<meta property="og:title" content="${escapeHtml(o.title)}">`,
    `<meta property="og:description" content="${escapeHtml(o.description)}">`,
    `<meta property="og:type" content="${o.ogType}">`,
    `<meta property="og:url" content="${escapeHtml(o.canonical)}">`,
    ...(o.image ? [`<meta property="og:image" content="${escapeHtml(o.image)}">`] : []),
    `<style>${STYLE}</style>`,
  ];
  return `<!doctype html>\n<html lang="en">\n<head>\n${meta.join('\n')}\n</head>\n<body>\n<header><a href="${escapeHtml(o.blog.url)}">${escapeHtml(o.blog.title)}</a></header>\n${o.body}\n</body>\n</html>\n`;
}

const time = (d: Date) => `<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 10)}</time>`;

export function renderIndex(blog: BlogInfo, posts: readonly BlogPostPage[]): string {
  const items = posts.length
    ? posts
        .map(
          (p) =>
            `<li class="post"><h2><a href="${escapeHtml(postUrl(blog, p.slug))}">${escapeHtml(p.title)}</a></h2>${time(p.publishedAt)}<p>${escapeHtml(description(p))}</p></li>`,
        )
        .join('\n')
    : '<li class="post">Nothing published yet.</li>';
  return page({
    title: blog.title,
    description: `Posts of ${blog.title}`,
    canonical: blog.url,
    ogType: 'website',
    image: null,
    blog,
    body: `<main><h1>${escapeHtml(blog.title)}</h1><ul class="posts">\n${items}\n</ul></main>`,
  });
}

export function renderPost(blog: BlogInfo, p: BlogPostPage): string {
  const tags = p.tags.length ? `<p class="tags">${p.tags.map((t) => `<span>#${escapeHtml(t)}</span>`).join(' ')}</p>` : '';
  const image = p.featuredImageUrl ? `<img src="${escapeHtml(p.featuredImageUrl)}" alt="">` : '';
  return page({
    title: `${p.title} · ${blog.title}`,
    description: description(p),
    canonical: p.canonicalUrl ?? postUrl(blog, p.slug),
    ogType: 'article',
    image: p.featuredImageUrl,
    blog,
    body: `<main><article><h1>${escapeHtml(p.title)}</h1>${time(p.publishedAt)}${image}\n${renderMarkdown(p.content)}\n${tags}</article></main>`,
  });
}

export type FeedFormat = 'rss' | 'atom' | 'json';

export function renderFeed(blog: BlogInfo, posts: readonly BlogPostPage[], format: FeedFormat): string {
  const feed = new Feed({
    id: blog.url,
    title: blog.title,
    link: blog.url,
    description: `Posts of ${blog.title}`,
    language: 'en',
    updated: posts.reduce<Date | undefined>((latest, p) => (!latest || p.updatedAt > latest ? p.updatedAt : latest), undefined) ?? new Date(0),
    generator: 'Margin',
    copyright: `© ${blog.title}`,
    feedLinks: { rss: `${blog.url}/feed.xml`, atom: `${blog.url}/feed.atom`, json: `${blog.url}/feed.json` },
  });
  for (const p of posts) {
    const link = postUrl(blog, p.slug);
    feed.addItem({
      title: p.title,
      id: link,
      link,
      date: p.updatedAt,
      published: p.publishedAt,
      description: description(p),
      content: renderMarkdown(p.content),
      category: p.tags.map((name) => ({ name })),
      ...(p.featuredImageUrl ? { image: p.featuredImageUrl } : {}),
    });
  }
  switch (format) {
    case 'rss':
      return feed.rss2();
    case 'atom':
      return feed.atom1();
    case 'json':
      return feed.json1();
  }
}
