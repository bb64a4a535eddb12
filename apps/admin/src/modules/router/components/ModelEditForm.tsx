import { MODEL_TIERS, type ModelTier, type ModelView } from '@margin/contracts';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { formatDateTime } from '../../../shared/format/dates';
import { useUpdateModel } from '../hooks/useRouter';
import { modelFormValues, parseModelForm, type ModelFormErrors, type ModelFormValues } from '../types/modelForm';

interface ModelEditFormProps {
  model: ModelView;
  onSaved: () => void;
  onCancel: () => void;
}

const PRICE_FIELDS = [
  { field: 'inputPerMTok', label: 'USD per 1M input tokens', hint: '' },
  { field: 'cachedInputPerMTok', label: 'USD per 1M cached input tokens', hint: 'Empty: same as input.' },
  { field: 'outputPerMTok', label: 'USD per 1M output tokens', hint: 'Reasoning tokens included.' },
] as const;

export function ModelEditForm({ model, onSaved, onCancel }: ModelEditFormProps) {
  const mutation = useUpdateModel();
  const [values, setValues] = useState<ModelFormValues>(() => modelFormValues(model));
  const [errors, setErrors] = useState<ModelFormErrors>({});
  const [nothingChanged, setNothingChanged] = useState(false);
  const tierRef = useRef<HTMLSelectElement>(null);
  const id = useId();

  useEffect(() => {
    tierRef.current?.focus();
  }, []);

  const change = (patch: Partial<ModelFormValues>): void => {
    setValues((current) => ({ ...current, ...patch }));
    setNothingChanged(false);
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (mutation.isPending) return;
    const result = parseModelForm(model, values);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    if (!result.changed) {
      setNothingChanged(true);
      return;
    }
    mutation.mutate({ id: model.id, request: result.request }, { onSuccess: onSaved });
  };

  return (
    <form className="form edit-form" onSubmit={onSubmit} noValidate aria-label={`Edit ${model.id}`}>
      <div className="form__row">
        <div className="field">
          <label htmlFor={`${id}-tier`}>Tier</label>
          <select id={`${id}-tier`} ref={tierRef} value={values.tier} onChange={(event) => change({ tier: event.target.value as ModelTier })}>
            {MODEL_TIERS.map((tier) => (
              <option key={tier} value={tier}>
                {tier}
              </option>
            ))}
          </select>
        </div>
        {PRICE_FIELDS.map(({ field, label, hint }) => (
          <div className="field field--price" key={field}>
            <label htmlFor={`${id}-${field}`}>{label}</label>
            <input
              id={`${id}-${field}`}
              type="text"
              inputMode="decimal"
              autoComplete="off"
              value={values[field]}
              aria-invalid={errors[field] ? true : undefined}
              aria-describedby={[hint ? `${id}-${field}-hint` : '', errors[field] ? `${id}-${field}-error` : ''].join(' ').trim() || undefined}
              onChange={(event) => change({ [field]: event.target.value })}
            />
            {hint ? (
              <p id={`${id}-${field}-hint`} className="field__hint">
                {hint}
              </p>
            ) : null}
            {errors[field] ? (
              <p id={`${id}-${field}-error`} className="field__error">
                {errors[field]}
              </p>
            ) : null}
          </div>
        ))}
      </div>
      <div className="checkbox">
        <input id={`${id}-enabled`} type="checkbox" checked={values.enabled} onChange={(event) => change({ enabled: event.target.checked })} />
        <label htmlFor={`${id}-enabled`}>Enabled</label>
        <p className="field__hint checkbox__hint">Disabled models are skipped by the router.</p>
      </div>
      <p className="muted small">
        A new price takes effect now for every tenant; past calls keep the price they were charged
        {model.price ? ` (current since ${formatDateTime(model.price.effectiveFrom)})` : ''}.
      </p>

      {mutation.isError ? <ErrorMessage error={mutation.error} title={`Could not save ${model.id}.`} /> : null}
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
