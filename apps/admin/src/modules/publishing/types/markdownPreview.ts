// The editor's preview: the same rendering the publishing targets use (marked, then sanitize-html with the same
// allow-list), so what the author sees is what a site receives. Raw HTML in a post is not trusted: a model or
// anyone in the tenant may have written it, and the preview is put into the admin page itself.
import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

const marked = new Marked({ gfm: true, breaks: false, async: false });

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'h1', 'h2', 'del', 'figure', 'figcaption'],
  allowedAttributes: {
    ...sanitizeHtml.defaults.allowedAttributes,
    a: ['href', 'name', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    code: ['class'],
    th: ['align'],
    td: ['align'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  // Links in the preview open elsewhere, so a click does not leave the unsaved editor.
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer', target: '_blank' }) },
};

/** Sanitized HTML for a markdown document. */
export function renderPreview(markdown: string): string {
  return sanitizeHtml(marked.parse(markdown) as string, SANITIZE);
}
