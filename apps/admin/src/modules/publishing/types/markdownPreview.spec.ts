import { renderPreview } from './markdownPreview';

describe('renderPreview', () => {
  it('renders markdown', () => {
    const html = renderPreview('# Title\n\nSome *em*, **strong** and [a link](https://example.com).\n\n- one\n- two');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<em>em</em>');
    expect(html).toContain('<strong>strong</strong>');
    expect(html).toContain('<a href="https://example.com" rel="noopener noreferrer" target="_blank">a link</a>');
    expect(html).toContain('<li>two</li>');
  });

  it('drops scripts, event handlers, styles and javascript: URLs', () => {
    const html = renderPreview(
      '<script>alert(1)</script>\n\n<img src="https://example.com/a.png" onerror="alert(2)">\n\n[x](javascript:alert(3))\n\n<p style="position:fixed" onclick="alert(4)">p</p>\n\n<iframe src="https://evil.example"></iframe>',
    );
    expect(html).not.toMatch(/<script|alert|onerror|onclick|javascript:|style=|<iframe/i);
    expect(html).toContain('<img src="https://example.com/a.png" />');
  });
});
