import type { ProviderView, UpdateProviderRequest } from '@margin/contracts';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { useUpdateProvider } from '../hooks/useRouter';

interface ProviderEditFormProps {
  provider: ProviderView;
  onSaved: (provider: ProviderView) => void;
  onCancel: () => void;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function ProviderEditForm({ provider, onSaved, onCancel }: ProviderEditFormProps) {
  const mutation = useUpdateProvider();
  const [name, setName] = useState(provider.name);
  const [baseUrl, setBaseUrl] = useState(provider.baseUrl);
  const [apiKey, setApiKey] = useState('');
  const [urlError, setUrlError] = useState<string | null>(null);
  const [nothingChanged, setNothingChanged] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  const id = useId();

  useEffect(() => {
    nameRef.current?.focus();
  }, []);

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (mutation.isPending) return;
    const trimmedUrl = baseUrl.trim();
    if (!isHttpUrl(trimmedUrl)) {
      setUrlError('Enter a full http:// or https:// URL.');
      return;
    }
    setUrlError(null);
    const request: UpdateProviderRequest = {};
    if (name.trim() && name.trim() !== provider.name) request.name = name.trim();
    if (trimmedUrl !== provider.baseUrl) request.baseUrl = trimmedUrl;
    if (apiKey) request.apiKey = apiKey;
    if (Object.keys(request).length === 0) {
      setNothingChanged(true);
      return;
    }
    mutation.mutate({ id: provider.id, request }, { onSuccess: onSaved });
  };

  return (
    <form className="form edit-form" onSubmit={onSubmit} noValidate aria-label={`Edit provider ${provider.id}`}>
      <div className="form__row">
        <div className="field">
          <label htmlFor={`${id}-name`}>Display name</label>
          <input
            id={`${id}-name`}
            ref={nameRef}
            type="text"
            required
            maxLength={100}
            autoComplete="off"
            value={name}
            onChange={(event) => {
              setName(event.target.value);
              setNothingChanged(false);
            }}
          />
        </div>
        <div className="field field--grow">
          <label htmlFor={`${id}-url`}>Base URL</label>
          <input
            id={`${id}-url`}
            type="url"
            required
            autoComplete="off"
            spellCheck={false}
            value={baseUrl}
            aria-invalid={urlError ? true : undefined}
            aria-describedby={urlError ? `${id}-url-error` : undefined}
            onChange={(event) => {
              setBaseUrl(event.target.value);
              setNothingChanged(false);
            }}
          />
          {urlError ? (
            <p id={`${id}-url-error`} className="field__error">
              {urlError}
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={`${id}-key`}>New API key</label>
          <input
            id={`${id}-key`}
            type="password"
            autoComplete="new-password"
            placeholder={provider.hasApiKey ? 'Keep the stored key' : 'No key stored'}
            value={apiKey}
            aria-describedby={`${id}-key-hint`}
            onChange={(event) => {
              setApiKey(event.target.value);
              setNothingChanged(false);
            }}
          />
          <p id={`${id}-key-hint`} className="field__hint">
            Stored encrypted, never shown again. Empty keeps the current one.
          </p>
        </div>
      </div>
      {provider.managedBy === 'env' ? (
        <p className="muted small">This provider comes from the environment; once you change it here, an admin’s settings take over.</p>
      ) : null}
      {mutation.isError ? <ErrorMessage error={mutation.error} title={`Could not save ${provider.name}.`} /> : null}
      {nothingChanged ? <p className="small">Nothing changed.</p> : null}
      <div className="form__actions">
        <button type="submit" className="button button--primary button--small" disabled={mutation.isPending}>
          {mutation.isPending ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button button--secondary button--small" disabled={mutation.isPending} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
