import type { CreatedApiKey } from '@margin/contracts';
import { useEffect, useId, useRef, useState } from 'react';

interface CreatedKeyPanelProps {
  apiKey: CreatedApiKey;
  onDismiss: () => void;
}

type CopyState = 'idle' | 'copied' | 'failed';

export function CreatedKeyPanel({ apiKey, onDismiss }: CreatedKeyPanelProps) {
  const titleId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const secretRef = useRef<HTMLElement>(null);
  const [copyState, setCopyState] = useState<CopyState>('idle');

  // Move focus here so keyboard and screen-reader users notice the one-time secret.
  useEffect(() => {
    headingRef.current?.focus();
  }, [apiKey.id]);

  const selectSecret = (): void => {
    const node = secretRef.current;
    const selection = window.getSelection();
    if (!node || !selection) return;
    const range = document.createRange();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
  };

  const copy = async (): Promise<void> => {
    try {
      if (!navigator.clipboard) throw new Error('Clipboard unavailable');
      await navigator.clipboard.writeText(apiKey.key);
      setCopyState('copied');
    } catch {
      selectSecret();
      setCopyState('failed');
    }
  };

  return (
    <section className="panel panel--success" aria-labelledby={titleId}>
      <h2 id={titleId} ref={headingRef} tabIndex={-1} className="panel__title">
        API key “{apiKey.name}” created
      </h2>
      <p className="panel__warning">
        <strong>Copy this key now.</strong> It is shown only this once and cannot be retrieved later; if you lose it, revoke it and create a new one.
      </p>
      <div className="secret">
        <code ref={secretRef} className="secret__value">
          {apiKey.key}
        </code>
        <button type="button" className="button button--primary button--small" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p className="small" role="status">
        {copyState === 'copied'
          ? 'Copied to the clipboard.'
          : copyState === 'failed'
            ? 'Could not copy automatically: the key is selected, press Ctrl+C (⌘C) to copy it.'
            : ''}
      </p>
      <button type="button" className="button button--secondary" onClick={onDismiss}>
        I have saved the key
      </button>
    </section>
  );
}
