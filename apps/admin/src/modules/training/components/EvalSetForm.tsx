import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../../shared/api/client';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { splitApiErrors } from '../../publishing/types/apiFieldErrors';
import { useCreateEvalSet } from '../hooks/useTraining';
import { parseEvalItems } from '../types/evalItems';

type Field = 'name' | 'profile' | 'items';
const PATHS: Record<Field, string[]> = { name: ['name'], profile: ['profile'], items: ['items'] };
const PROFILE = /^[a-z0-9][a-z0-9_-]{0,99}$/;

/** A new eval set from pasted JSON items. */
export function EvalSetForm({ onCreated }: { onCreated: (id: string) => void }) {
  const id = useId();
  const create = useCreateEvalSet();
  const [name, setName] = useState('');
  const [profile, setProfile] = useState('song-analysis');
  const [items, setItems] = useState('');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const server = splitApiErrors(create.error, PATHS);
  // Nest names nested problems "items.0.input must be an object": those belong to the items too.
  const rest = server.rest.filter((m) => !/^items[.[]/.test(m));
  const itemsServer = [server.byField.items, ...server.rest.filter((m) => /^items[.[]/.test(m))].filter(Boolean).join(' ');
  const errorOf = (field: Field) => errors[field] ?? (field === 'items' ? itemsServer || undefined : server.byField[field]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const found: Partial<Record<Field, string>> = {};
    if (name.trim() === '' || name.trim().length > 100) found.name = 'Give the set a name (at most 100 characters).';
    if (!PROFILE.test(profile)) found.profile = 'A profile key like song-analysis.';
    const parsed = parseEvalItems(items);
    if (!parsed.ok) found.items = parsed.error;
    setErrors(found);
    if (Object.keys(found).length > 0 || !parsed.ok) return;
    create.mutate(
      { name: name.trim(), profile, items: parsed.items },
      {
        onSuccess: (set) => {
          setName('');
          setItems('');
          onCreated(set.id);
        },
      },
    );
  };

  const error = (field: Field) => {
    const message = errorOf(field);
    return message ? (
      <p id={`${id}-${field}-error`} className="field__error">
        {message}
      </p>
    ) : null;
  };
  const aria = (field: Field) => ({
    'aria-invalid': errorOf(field) ? true : undefined,
    'aria-describedby': errorOf(field) ? `${id}-${field}-error` : undefined,
  });

  return (
    <form className="form card" onSubmit={onSubmit} noValidate aria-label="New eval set">
      <h2 className="card__title">New eval set</h2>
      <div className="form__row">
        <div className="field field--grow">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} type="text" value={name} {...aria('name')} onChange={(event) => setName(event.target.value)} />
          {error('name')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-profile`}>Profile</label>
          <input id={`${id}-profile`} type="text" value={profile} {...aria('profile')} onChange={(event) => setProfile(event.target.value)} />
          {error('profile')}
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${id}-items`}>Items (JSON)</label>
        <textarea
          id={`${id}-items`}
          className="code-input"
          rows={8}
          spellCheck={false}
          value={items}
          placeholder='[{"input": {"title": "…", "artist": "…", "lyrics": "…"}, "expected": {"verdict": "approved"}}]'
          {...aria('items')}
          onChange={(event) => setItems(event.target.value)}
        />
        <p className="field__hint">An array of {'{input, expected?}'}; items without “expected” are scored by the judge model.</p>
        {error('items')}
      </div>
      {rest.length > 0 ? <ErrorMessage error={new ApiError(400, rest, null)} title="Could not create the eval set." /> : null}
      {create.isError && !(create.error instanceof ApiError && create.error.status >= 400 && create.error.status < 500) ? (
        <ErrorMessage error={create.error} title="Could not create the eval set." />
      ) : null}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create eval set'}
        </button>
      </div>
    </form>
  );
}
