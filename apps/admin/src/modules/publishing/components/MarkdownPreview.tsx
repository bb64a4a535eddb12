import { useDeferredValue, useMemo } from 'react';
import { renderPreview } from '../types/markdownPreview';

/** The post as HTML, sanitized; typing stays responsive on long posts because rendering may lag a keystroke. */
export function MarkdownPreview({ markdown, label }: { markdown: string; label: string }) {
  const deferred = useDeferredValue(markdown);
  const html = useMemo(() => renderPreview(deferred), [deferred]);
  return (
    <section className="post-preview" aria-label={label}>
      {deferred.trim() === '' ? (
        <p className="muted">Nothing to preview yet.</p>
      ) : (
        // Safe: renderPreview's output went through sanitize-html's allow-list (no scripts, handlers or javascript: URLs).
        <div className="post-preview__body" dangerouslySetInnerHTML={{ __html: html }} />
      )}
    </section>
  );
}
