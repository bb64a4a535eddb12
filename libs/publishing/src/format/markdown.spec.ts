import { markdownToText, renderMarkdown } from './markdown';

describe('renderMarkdown', () => {
  it('renders headings, emphasis, lists, links and code', () => {
    const html = renderMarkdown('# Title\n\nSome *em* and **strong**.\n\n- a\n- b\n\n[link](https://example.com)\n\n```ts\nconst x = 1;\n```');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<em>em</em>');
    expect(html).toContain('<strong>strong</strong>');
    expect(html).toContain('<li>a</li>');
    expect(html).toContain('<a href="https://example.com" rel="noopener noreferrer">link</a>');
    expect(html).toContain('<code class="language-ts">');
  });

  it('drops scripts, event handlers and javascript: links', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src="x" onerror="alert(1)">\n\n[x](javascript:alert(1))');
    expect(html).not.toMatch(/<script|onerror|javascript:/i);
  });
});

describe('markdownToText', () => {
  it('strips markup and collapses whitespace', () => {
    expect(markdownToText('# Hi\n\nA **bold** & <b>raw</b> line.\n\n- one')).toBe('Hi A bold & raw line. one');
  });
});
