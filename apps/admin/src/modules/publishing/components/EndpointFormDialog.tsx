import { ENDPOINT_TYPES, type EndpointType, type EndpointView } from '@margin/contracts';
import { useId, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../../../shared/api/client';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { useCreateEndpoint, useUpdateEndpoint } from '../hooks/useEndpoints';
import { splitApiErrors } from '../types/apiFieldErrors';
import {
  ENDPOINT_TYPE_SPECS,
  emptyEndpointForm,
  endpointErrorPaths,
  endpointFormOf,
  formFields,
  parseCreateEndpoint,
  parseUpdateEndpoint,
  type EndpointFormErrors,
  type EndpointFormValues,
} from '../types/endpointForm';
import { Dialog } from './Dialog';

type EndpointFormDialogProps =
  | { mode: 'create'; onClose: () => void; onSaved: (endpoint: EndpointView) => void }
  | {
      mode: 'edit';
      endpoint: EndpointView;
      onClose: () => void;
      onSaved: (endpoint: EndpointView) => void;
    };

/** Adds an endpoint (type first, then that type's fields) or edits one; credentials are write-only. */
export function EndpointFormDialog(props: EndpointFormDialogProps) {
  const editing = props.mode === 'edit' ? props.endpoint : null;
  const createMutation = useCreateEndpoint();
  const updateMutation = useUpdateEndpoint();
  const mutation = editing ? updateMutation : createMutation;
  const [type, setType] = useState<EndpointType>(editing?.type ?? 'blog');
  const [form, setForm] = useState<EndpointFormValues>(() => (editing ? endpointFormOf(editing) : emptyEndpointForm('blog')));
  const [errors, setErrors] = useState<EndpointFormErrors>({});
  const [nothingChanged, setNothingChanged] = useState(false);
  const typeRef = useRef<HTMLSelectElement>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const id = useId();
  const spec = ENDPOINT_TYPE_SPECS[type];
  const fields = formFields(type, editing !== null);
  const server = splitApiErrors(mutation.error, endpointErrorPaths(type));
  const errorOf = (key: string): string | undefined => errors[key] ?? server.byField[key];

  const changeType = (next: EndpointType): void => {
    setType(next);
    // Names carry over; URLs and credentials belong to the old type.
    setForm((current) => ({ ...emptyEndpointForm(next), name: current.name }));
    setErrors({});
    createMutation.reset();
  };

  const change = (key: string, value: string): void => {
    setForm((current) => (key === 'name' ? { ...current, name: value } : { ...current, values: { ...current.values, [key]: value } }));
    setNothingChanged(false);
  };

  const focusFirstError = (keys: string[]): void => {
    const key = ['type', 'name', ...fields.map((field) => field.key)].find((candidate) => keys.includes(candidate));
    if (key) document.getElementById(`${id}-${key}`)?.focus();
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (mutation.isPending) return;
    mutation.reset();
    if (editing) {
      const result = parseUpdateEndpoint(editing, form);
      if (!result.ok) {
        setErrors(result.errors);
        focusFirstError(Object.keys(result.errors));
        return;
      }
      setErrors({});
      if (Object.keys(result.request).length === 0) {
        setNothingChanged(true);
        return;
      }
      updateMutation.mutate(
        { id: editing.id, request: result.request },
        { onSuccess: props.onSaved, onError: (error) => focusFirstError(Object.keys(splitApiErrors(error, endpointErrorPaths(type)).byField)) },
      );
      return;
    }
    const result = parseCreateEndpoint(type, form);
    if (!result.ok) {
      setErrors(result.errors);
      focusFirstError(Object.keys(result.errors));
      return;
    }
    setErrors({});
    createMutation.mutate(result.request, {
      onSuccess: props.onSaved,
      onError: (error) => focusFirstError(Object.keys(splitApiErrors(error, endpointErrorPaths(type)).byField)),
    });
  };

  const describedBy = (key: string, hint: boolean): string | undefined =>
    [hint ? `${id}-${key}-hint` : '', errorOf(key) ? `${id}-${key}-error` : ''].join(' ').trim() || undefined;

  const fieldError = (key: string) => {
    const message = errorOf(key);
    return message ? (
      <p id={`${id}-${key}-error`} className="field__error">
        {message}
      </p>
    ) : null;
  };

  return (
    <Dialog title={editing ? `Edit ${editing.name}` : 'Add an endpoint'} onClose={props.onClose} initialFocus={editing ? nameRef : typeRef}>
      <form className="form" onSubmit={onSubmit} noValidate aria-label={editing ? `Edit endpoint ${editing.name}` : 'New endpoint'}>
        {editing ? (
          <p className="muted small">
            {spec.label}. {spec.description}
          </p>
        ) : (
          <div className="field">
            <label htmlFor={`${id}-type`}>Type</label>
            <select
              id={`${id}-type`}
              ref={typeRef}
              value={type}
              aria-invalid={errorOf('type') ? true : undefined}
              aria-describedby={`${id}-type-hint${errorOf('type') ? ` ${id}-type-error` : ''}`}
              onChange={(event) => changeType(event.target.value as EndpointType)}
            >
              {ENDPOINT_TYPES.map((option) => (
                <option key={option} value={option}>
                  {ENDPOINT_TYPE_SPECS[option].label}
                </option>
              ))}
            </select>
            <p id={`${id}-type-hint`} className="field__hint">
              {spec.description}
            </p>
            {fieldError('type')}
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            ref={nameRef}
            type="text"
            autoComplete="off"
            maxLength={120}
            value={form.name}
            aria-invalid={errorOf('name') ? true : undefined}
            aria-describedby={describedBy('name', false)}
            onChange={(event) => change('name', event.target.value)}
          />
          {fieldError('name')}
        </div>
        {fields.map((field) => {
          const stored = editing !== null && field.target === 'credentials';
          const hint = stored ? `${field.hint ? `${field.hint} ` : ''}Stored encrypted and never shown. Leave blank to keep the stored one.` : field.hint;
          return (
            <div className="field" key={`${type}-${field.key}`}>
              <label htmlFor={`${id}-${field.key}`}>{stored ? `New ${field.label.toLowerCase()}` : field.label}</label>
              <input
                id={`${id}-${field.key}`}
                type={field.secret ? 'password' : field.target === 'url' ? 'url' : 'text'}
                autoComplete={field.secret ? 'new-password' : 'off'}
                spellCheck={false}
                placeholder={stored ? (editing.credentialFields.includes(field.key) ? 'Keep the stored value' : 'Nothing stored') : field.placeholder}
                value={form.values[field.key] ?? ''}
                aria-invalid={errorOf(field.key) ? true : undefined}
                aria-describedby={describedBy(field.key, Boolean(hint))}
                onChange={(event) => change(field.key, event.target.value)}
              />
              {hint ? (
                <p id={`${id}-${field.key}-hint`} className="field__hint">
                  {hint}
                </p>
              ) : null}
              {fieldError(field.key)}
            </div>
          );
        })}
        {server.rest.length > 0 ? (
          <ErrorMessage error={new ApiError(400, server.rest, null)} title={editing ? 'Could not save the endpoint.' : 'Could not add the endpoint.'} />
        ) : mutation.isError && Object.keys(server.byField).length === 0 ? (
          <ErrorMessage error={mutation.error} title={editing ? 'Could not save the endpoint.' : 'Could not add the endpoint.'} />
        ) : null}
        {nothingChanged ? <p className="small">Nothing changed.</p> : null}
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={mutation.isPending}>
            {mutation.isPending ? 'Saving…' : editing ? 'Save' : 'Add endpoint'}
          </button>
          <button type="button" className="button button--secondary" disabled={mutation.isPending} onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
