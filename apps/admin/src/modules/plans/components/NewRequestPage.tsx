import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { useCreatePlan } from '../hooks/usePlans';

export const EXAMPLE_REQUEST = 'Create a blog post about AI safety for tech leads, auto-publish to LinkedIn and our blog, under $0.50';

/** A request in words: planned (steps, models, cost, time) before anything runs, then opened to review and approve. */
export function NewRequestPage() {
  const id = useId();
  const navigate = useNavigate();
  const permissions = usePermissions();
  const create = useCreatePlan();
  const [sentence, setSentence] = useState('');
  const [attempted, setAttempted] = useState(false);

  const empty = sentence.trim() === '';
  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    setAttempted(true);
    if (empty || create.isPending) return;
    create.mutate({ request: sentence.trim() }, { onSuccess: (plan) => void navigate(`/requests/${plan.id}`) });
  };

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb small">
        <Link to="/requests">Requests</Link> <span aria-hidden="true">/</span> <span aria-current="page">New request</span>
      </nav>
      <div className="page-header page-header--actions">
        <div>
          <h1>New request</h1>
          <p className="muted">
            Say what you want done. Margin plans the steps, the models, the cost and the time before anything runs; you review and approve.
          </p>
        </div>
        <Link to="/requests" className="button button--secondary">
          Recent requests
        </Link>
      </div>
      <form className="card form" onSubmit={onSubmit} noValidate aria-label="New request">
        <div className="field field--wide">
          <label htmlFor={`${id}-sentence`}>Request</label>
          <textarea
            id={`${id}-sentence`}
            rows={3}
            maxLength={2000}
            value={sentence}
            placeholder={EXAMPLE_REQUEST}
            aria-invalid={attempted && empty ? true : undefined}
            aria-describedby={`${id}-hint${attempted && empty ? ` ${id}-error` : ''}`}
            onChange={(event) => setSentence(event.target.value)}
          />
          <p id={`${id}-hint`} className="field__hint">
            What to make, for whom, where to publish it, the budget and the deadline, in one sentence. Anything the plan cannot decide is asked next.
          </p>
          {attempted && empty ? (
            <p id={`${id}-error`} className="field__error">
              Write the request first.
            </p>
          ) : null}
        </div>
        {create.isError ? <ErrorMessage error={create.error} title="The request was not planned." /> : null}
        <div className="form__actions">
          {permissions?.canRunJobs ? (
            <button type="submit" className="button button--primary" disabled={create.isPending}>
              {create.isPending ? 'Planning…' : 'Plan'}
            </button>
          ) : permissions ? (
            <p className="muted">Viewers can read plans; a member or admin makes them.</p>
          ) : null}
          {empty ? (
            <button type="button" className="button button--secondary" onClick={() => setSentence(EXAMPLE_REQUEST)}>
              Use the example
            </button>
          ) : null}
        </div>
      </form>
    </>
  );
}
