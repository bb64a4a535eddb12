import type { JobItemView } from '@margin/contracts';
import { useEffect, useId, useRef, type KeyboardEvent } from 'react';
import { Link } from 'react-router-dom';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { ItemFeedbackForm } from '../../training/components/ItemFeedbackForm';
import { ItemStatusBadge } from './JobStatusBadge';

interface ItemResultDialogProps {
  item: JobItemView;
  /** A blog-post job's item, and the caller may write posts: offer to make one from it. */
  canMakePost?: boolean;
  /** Members and above may rate, approve and correct the answer; the others see the feedback. */
  canGiveFeedback?: boolean;
  onClose: () => void;
}

function pretty(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value, null, 2);
}

/** One item's result as indented JSON, over the page; Escape or Close returns to the row it came from. */
export function ItemResultDialog({ item, canMakePost = false, canGiveFeedback = false, onClose }: ItemResultDialogProps) {
  const titleId = useId();
  const dialog = useRef<HTMLDivElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    closeButton.current?.focus();
  }, []);

  // Keeps Tab inside the dialog while it is open.
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      onClose();
      return;
    }
    if (event.key !== 'Tab' || !dialog.current) return;
    const focusable = dialog.current.querySelectorAll<HTMLElement>(
      'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [href], [tabindex]:not([tabindex="-1"])',
    );
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  const hasResult = item.result !== null && item.result !== undefined;

  return (
    <div className="dialog-backdrop" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div ref={dialog} className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} onKeyDown={onKeyDown}>
        <div className="dialog__header">
          <h2 id={titleId} className="dialog__title">
            Result of item {item.index}
          </h2>
          <button ref={closeButton} type="button" className="button button--secondary button--small" onClick={onClose}>
            Close
          </button>
        </div>
        <p className="dialog__meta small">
          <ItemStatusBadge status={item.status} />
          <span>
            Model: <code>{item.model ?? '—'}</code>
          </span>
          <span>Cost: {formatUsd(item.costUsd)}</span>
          <span>{item.cached ? 'From the cache' : 'Not cached'}</span>
          <span>
            {formatCount(item.attempts)} {item.attempts === 1 ? 'attempt' : 'attempts'}
          </span>
        </p>
        {canMakePost && item.status === 'completed' ? (
          <p>
            <Link to={`/posts/new?fromItemId=${encodeURIComponent(item.id)}`} className="button button--primary button--small">
              Make a post from this item
            </Link>
          </p>
        ) : null}
        {item.error ? (
          <div className="notice notice--error">
            <p className="notice__title">Error</p>
            <p>{item.error}</p>
          </div>
        ) : null}
        {hasResult ? (
          <pre className="json" tabIndex={0} aria-label={`Result JSON of item ${item.index}`}>
            {pretty(item.result)}
          </pre>
        ) : (
          <p className="muted">
            {item.status === 'queued' || item.status === 'running' ? 'No result yet: the item has not finished.' : 'This item has no result.'}
          </p>
        )}
        {item.status === 'completed' ? <ItemFeedbackForm itemId={item.id} canEdit={canGiveFeedback} initialEdits={item.result} /> : null}
        <details className="dialog__input">
          <summary>Input</summary>
          <pre className="json" tabIndex={0} aria-label={`Input JSON of item ${item.index}`}>
            {pretty(item.input)}
          </pre>
        </details>
      </div>
    </div>
  );
}
