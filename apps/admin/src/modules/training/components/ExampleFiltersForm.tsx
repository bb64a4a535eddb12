import { useId, useState, type FormEvent } from 'react';
import { EMPTY_FILTERS, filtersProblem, type ExampleFilterForm } from '../types/exampleFilters';

/** The Training page's filters: applied on submit (the list, the exports and a frozen dataset all use them). */
export function ExampleFiltersForm({ applied, onApply }: { applied: ExampleFilterForm; onApply: (filters: ExampleFilterForm) => void }) {
  const id = useId();
  const [draft, setDraft] = useState<ExampleFilterForm>(applied);
  const [problem, setProblem] = useState<string | null>(null);
  const set = <K extends keyof ExampleFilterForm>(key: K, value: ExampleFilterForm[K]) => setDraft((current) => ({ ...current, [key]: value }));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const found = filtersProblem(draft);
    setProblem(found);
    if (!found) onApply(draft);
  };

  const text = (key: 'profile' | 'operation' | 'model', label: string, placeholder: string) => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input id={`${id}-${key}`} type="text" value={draft[key]} placeholder={placeholder} onChange={(event) => set(key, event.target.value)} />
    </div>
  );

  return (
    <form className="form form--inline card" onSubmit={onSubmit} noValidate aria-label="Filter examples">
      {text('profile', 'Profile', 'song-analysis')}
      {text('operation', 'Operation', 'analyze')}
      {text('model', 'Model', 'ollama/qwen3:8b')}
      <div className="field field--narrow">
        <label htmlFor={`${id}-minRating`}>Minimum rating</label>
        <select id={`${id}-minRating`} value={draft.minRating} onChange={(event) => set('minRating', event.target.value)}>
          <option value="">Any</option>
          {['1', '2', '3', '4', '5'].map((r) => (
            <option key={r} value={r}>
              {r} or more
            </option>
          ))}
        </select>
      </div>
      <div className="field field--narrow">
        <label htmlFor={`${id}-from`}>From</label>
        <input id={`${id}-from`} type="date" value={draft.from} onChange={(event) => set('from', event.target.value)} />
      </div>
      <div className="field field--narrow">
        <label htmlFor={`${id}-to`}>To (inclusive)</label>
        <input
          id={`${id}-to`}
          type="date"
          value={draft.to}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `${id}-range-error` : undefined}
          onChange={(event) => set('to', event.target.value)}
        />
      </div>
      <div className="checkbox">
        <input id={`${id}-approved`} type="checkbox" checked={draft.approvedOnly} onChange={(event) => set('approvedOnly', event.target.checked)} />
        <label htmlFor={`${id}-approved`}>Approved only</label>
      </div>
      <div className="form__actions">
        <button type="submit" className="button button--primary">
          Apply filters
        </button>
        <button
          type="button"
          className="button button--secondary"
          onClick={() => {
            setDraft(EMPTY_FILTERS);
            setProblem(null);
            onApply(EMPTY_FILTERS);
          }}
        >
          Clear
        </button>
      </div>
      {problem ? (
        <p id={`${id}-range-error`} className="field__error" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}
