import { XMLParser } from 'fast-xml-parser';
import { renderFeed, renderIndex, renderPost, type BlogPostPage } from './blog-pages';

const blog = { title: 'Acme <Notes> & "Co"', url: 'https://margin.example/blog/acme' };
const post: BlogPostPage = {
  title: 'Hello <script>alert(1)</script>',
  slug: 'hello',
  excerpt: 'An "excerpt" <b>here</b>',
  content: '# Heading\n\nText with <img src=x onerror=alert(2)> and **bold**.',
  tags: ['news', '<x>'],
  featuredImageUrl: 'https://img.example/a.png',
  canonicalUrl: null,
  publishedAt: new Date('2026-12-01T08:00:00Z'),
  updatedAt: new Date('2026-12-01T09:00:00Z'),
};

describe('own blog pages', () => {
  it('a post page escapes its title and meta, carries Open Graph tags and a canonical link, and sanitizes the content', () => {
    const html = renderPost(blog, post);
    expect(html).toContain('<title>Hello &lt;script&gt;alert(1)&lt;/script&gt; · Acme &lt;Notes&gt; &amp; &quot;Co&quot;</title>');
    expect(html).toContain('<meta name="description" content="An &quot;excerpt&quot; &lt;b&gt;here&lt;/b&gt;">');
    expect(html).toContain('<meta property="og:type" content="article">');
    expect(html).toContain('<meta property="og:image" content="https://img.example/a.png">');
    expect(html).toContain('<link rel="canonical" href="https://margin.example/blog/acme/hello">');
    expect(html).not.toMatch(/<script>|onerror/);
    expect(html).toContain('<strong>bold</strong>');
  });

  it('a canonical URL of its own wins', () => {
    expect(renderPost(blog, { ...post, canonicalUrl: 'https://elsewhere.example/p' })).toContain('<link rel="canonical" href="https://elsewhere.example/p">');
  });

  it('the index links every post', () => {
    const html = renderIndex(blog, [post, { ...post, slug: 'second', title: 'Second' }]);
    expect(html).toContain('href="https://margin.example/blog/acme/hello"');
    expect(html).toContain('href="https://margin.example/blog/acme/second"');
  });

  it('the RSS feed parses and lists the posts with their links; Atom and JSON Feed too', () => {
    const rss = new XMLParser().parse(renderFeed(blog, [post], 'rss')) as { rss: { channel: { title: string; item: { title: string; link: string } } } };
    expect(rss.rss.channel.title).toBe(blog.title);
    expect(rss.rss.channel.item).toMatchObject({ title: post.title, link: 'https://margin.example/blog/acme/hello' });
    const atom = new XMLParser().parse(renderFeed(blog, [post], 'atom')) as { feed: { entry: { title: string } } };
    expect(atom.feed.entry.title).toBe(post.title);
    const json = JSON.parse(renderFeed(blog, [post], 'json')) as { version: string; items: Array<{ url: string; content_html: string }> };
    expect(json.version).toMatch(/jsonfeed\.org\/version\/1/);
    expect(json.items[0]?.url).toBe('https://margin.example/blog/acme/hello');
    expect(json.items[0]?.content_html).not.toContain('onerror');
  });
});
