import type { Complexity, ModelView, PolicyCell } from '@margin/contracts';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { useUpdatePolicy } from '../hooks/useRouter';
import type { MatrixCell } from '../types/policyMatrix';
import { PolicyChain } from './PolicyChain';

type Scope = 'tenant' | 'global';

interface PolicyCellEditorProps {
  operation: string;
  complexity: Complexity;
  cell: MatrixCell;
  models: ModelView[];
  /** Operator admins may change the installation-wide policy too. */
  canEditGlobal: boolean;
  onDone: (message: string) => void;
  onCancel: () => void;
}

/** The chain a scope starts from: the global cell, or the tenant's override (else what applies now). */
function startingCell(cell: MatrixCell, scope: Scope): PolicyCell | null {
  return scope === 'global' ? cell.global : (cell.override ?? cell.effective);
}

export function PolicyCellEditor({ operation, complexity, cell, models, canEditGlobal, onDone, onCancel }: PolicyCellEditorProps) {
  const mutation = useUpdatePolicy();
  const [scope, setScope] = useState<Scope>('tenant');
  const [candidates, setCandidates] = useState<string[]>(() => startingCell(cell, 'tenant')?.candidates ?? []);
  const [adding, setAdding] = useState('');
  const headingRef = useRef<HTMLHeadingElement>(null);
  const titleId = useId();
  const scopeId = useId();
  const addId = useId();
  const name = `${operation}, ${complexity}`;

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  const available = models.filter((model) => !candidates.includes(model.id));
  const knownIds = new Set(models.map((model) => model.id));

  const changeScope = (next: Scope): void => {
    setScope(next);
    setCandidates(startingCell(cell, next)?.candidates ?? []);
    mutation.reset();
  };

  const move = (index: number, delta: -1 | 1): void => {
    setCandidates((current) => {
      const next = [...current];
      const [item] = next.splice(index, 1);
      next.splice(index + delta, 0, item);
      return next;
    });
  };

  const save = (nextCandidates: string[], message: string): void => {
    // Sending a cell without its A/B test would end the test: keep the one the scope's cell carries.
    const abTest = startingCell(cell, scope)?.abTest ?? null;
    mutation.mutate(
      { scope, cells: [{ operation, complexity, candidates: nextCandidates, abTest: nextCandidates.length ? abTest : null }] },
      { onSuccess: () => onDone(message) },
    );
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (mutation.isPending || candidates.length === 0) return;
    save(candidates, `Routing for ${name} saved${scope === 'global' ? ' for every tenant' : ' for your tenant'}.`);
  };

  return (
    <section className="card editor" aria-labelledby={titleId}>
      <h3 id={titleId} ref={headingRef} tabIndex={-1} className="card__title">
        Routing for {name}
      </h3>
      <div className="editor__current">
        <p className="muted small">Applies now{cell.override ? ' (your tenant’s override)' : ' (global policy)'}:</p>
        <PolicyChain cell={cell.effective} />
      </div>
      <form className="form" onSubmit={onSubmit} aria-label={`Routing for ${name}`}>
        {canEditGlobal ? (
          <div className="field">
            <label htmlFor={scopeId}>Scope</label>
            <select id={scopeId} value={scope} onChange={(event) => changeScope(event.target.value as Scope)}>
              <option value="tenant">Your tenant only (override)</option>
              <option value="global">Global (every tenant without an override)</option>
            </select>
          </div>
        ) : (
          <p className="muted small">Changes apply to your tenant only, as an override of the global policy.</p>
        )}

        <div className="field">
          <span className="field__label" id={`${titleId}-candidates`}>
            Candidates, in the order they are tried
          </span>
          {candidates.length === 0 ? (
            <p className="muted small">No candidates: add at least one model.</p>
          ) : (
            <ol className="candidates" aria-labelledby={`${titleId}-candidates`}>
              {candidates.map((candidate, index) => (
                <li key={candidate} className="candidates__item">
                  <span className="candidates__rank" aria-hidden="true">
                    {index + 1}
                  </span>
                  <code className="candidates__id">{candidate}</code>
                  {knownIds.has(candidate) || models.length === 0 ? null : <span className="field__error">Not in the catalog</span>}
                  <span className="candidates__actions">
                    <button type="button" className="button button--secondary button--small" disabled={index === 0} onClick={() => move(index, -1)}>
                      <span aria-hidden="true">↑</span>
                      <span className="visually-hidden">Move {candidate} up</span>
                    </button>
                    <button
                      type="button"
                      className="button button--secondary button--small"
                      disabled={index === candidates.length - 1}
                      onClick={() => move(index, 1)}
                    >
                      <span aria-hidden="true">↓</span>
                      <span className="visually-hidden">Move {candidate} down</span>
                    </button>
                    <button
                      type="button"
                      className="button button--danger-outline button--small"
                      onClick={() => setCandidates((current) => current.filter((id) => id !== candidate))}
                    >
                      Remove<span className="visually-hidden"> {candidate}</span>
                    </button>
                  </span>
                </li>
              ))}
            </ol>
          )}
        </div>

        <div className="form form--inline">
          <div className="field field--grow">
            <label htmlFor={addId}>Add a model</label>
            <select id={addId} value={adding} onChange={(event) => setAdding(event.target.value)}>
              <option value="">Choose a model…</option>
              {available.map((model) => (
                <option key={model.id} value={model.id}>
                  {model.id} ({model.tier}
                  {model.enabled ? '' : ', disabled'})
                </option>
              ))}
            </select>
          </div>
          <button
            type="button"
            className="button button--secondary"
            disabled={!adding}
            onClick={() => {
              setCandidates((current) => [...current, adding]);
              setAdding('');
            }}
          >
            Add
          </button>
        </div>

        {mutation.isError ? <ErrorMessage error={mutation.error} title="Could not save the routing policy." /> : null}

        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={mutation.isPending || candidates.length === 0}>
            {mutation.isPending ? 'Saving…' : 'Save routing'}
          </button>
          <button type="button" className="button button--secondary" disabled={mutation.isPending} onClick={onCancel}>
            Cancel
          </button>
          {scope === 'tenant' && cell.override ? (
            <button
              type="button"
              className="button button--danger-outline"
              disabled={mutation.isPending}
              onClick={() => save([], `Your tenant’s override for ${name} removed: the global policy applies.`)}
            >
              Remove override
            </button>
          ) : null}
        </div>
      </form>
    </section>
  );
}
