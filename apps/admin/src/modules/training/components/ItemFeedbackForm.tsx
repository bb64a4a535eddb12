import type { ExampleFeedbackView } from '@margin/contracts';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../../shared/api/client';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { useItemFeedback, useSubmitFeedback } from '../hooks/useTraining';
import './training.css';
import { COMMENT_MAX, feedbackApiErrors, parseFeedbackForm, type FeedbackField, type FeedbackForm } from '../types/feedbackForm';

const RATINGS = ['1', '2', '3', '4', '5'] as const;

function formOf(existing: ExampleFeedbackView | null | undefined): FeedbackForm {
  return {
    rating: existing ? String(existing.rating) : '',
    approved: existing?.approved ?? false,
    edits: '',
    comment: existing?.comment ?? '',
  };
}

function ExistingFeedback({ feedback }: { feedback: ExampleFeedbackView }) {
  return (
    <p className="small" aria-label="Current feedback">
      Current feedback: rated <strong>{feedback.rating}/5</strong>
      {feedback.approved === true ? ', approved' : feedback.approved === false ? ', not approved' : ''}
      {feedback.edited ? ', answer corrected' : ''}
      {feedback.comment ? <>, “{feedback.comment}”</> : null}
    </p>
  );
}

/**
 * Rate an item's answer, approve it and correct it (the corrected output is what training exports carry).
 * `canEdit`: members and above; viewers see the feedback only.
 */
export function ItemFeedbackForm({ itemId, canEdit, initialEdits }: { itemId: string; canEdit: boolean; initialEdits?: unknown }) {
  const id = useId();
  const existing = useItemFeedback(itemId);
  const submit = useSubmitFeedback(itemId);
  const [form, setForm] = useState<FeedbackForm>(() => formOf(null));
  const [touched, setTouched] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<FeedbackField, string>>>({});

  // The stored feedback fills the form once it arrives, unless the person has started typing.
  useEffect(() => {
    if (!touched && existing.data) setForm(formOf(existing.data));
  }, [existing.data, touched]);

  // An item answered from the cache has no recorded example to carry its feedback: what was just saved stands in.
  const saved: ExampleFeedbackView | null = submit.data
    ? {
        rating: submit.data.rating,
        approved: submit.data.approved,
        edited: submit.data.edits !== null && submit.data.edits !== undefined,
        comment: submit.data.comment,
      }
    : null;
  const current = existing.data ?? saved;
  const server = feedbackApiErrors(submit.error);
  const errorOf = (field: FeedbackField) => errors[field] ?? server.byField[field];
  const change = <K extends keyof FeedbackForm>(key: K, value: FeedbackForm[K]) => {
    setTouched(true);
    setErrors((current) => ({ ...current, [key]: undefined }));
    setForm((current) => ({ ...current, [key]: value }));
  };
  const describedBy = (field: FeedbackField, hint?: boolean) =>
    [hint ? `${id}-${field}-hint` : '', errorOf(field) ? `${id}-${field}-error` : ''].join(' ').trim() || undefined;
  const fieldError = (field: FeedbackField) => {
    const message = errorOf(field);
    return message ? (
      <p id={`${id}-${field}-error`} className="field__error">
        {message}
      </p>
    ) : null;
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseFeedbackForm(form);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      return;
    }
    setErrors({});
    submit.mutate(parsed.request, { onSuccess: () => setTouched(false) });
  };

  return (
    <section className="feedback" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="feedback__title">
        Feedback
      </h3>
      {existing.isPending ? (
        <p className="muted small">Loading the feedback…</p>
      ) : current ? (
        <ExistingFeedback feedback={current} />
      ) : existing.isError ? (
        <p className="muted small">Could not load the current feedback.</p>
      ) : (
        <p className="muted small">No feedback yet.</p>
      )}
      {canEdit ? (
        <form className="form" onSubmit={onSubmit} noValidate aria-label="Feedback on this item">
          <div className="form__row">
            <div className="field field--narrow">
              <label htmlFor={`${id}-rating`}>Rating</label>
              <select
                id={`${id}-rating`}
                value={form.rating}
                aria-invalid={errorOf('rating') ? true : undefined}
                aria-describedby={describedBy('rating')}
                onChange={(event) => change('rating', event.target.value)}
              >
                <option value="">Choose…</option>
                {RATINGS.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
              {fieldError('rating')}
            </div>
            <div className="checkbox feedback__approved">
              <input id={`${id}-approved`} type="checkbox" checked={form.approved} onChange={(event) => change('approved', event.target.checked)} />
              <label htmlFor={`${id}-approved`}>Approved for training</label>
              {fieldError('approved')}
            </div>
          </div>
          <div className="field">
            <label htmlFor={`${id}-edits`}>Corrected output (JSON)</label>
            <textarea
              id={`${id}-edits`}
              className="code-input"
              rows={8}
              spellCheck={false}
              value={form.edits}
              placeholder="Leave blank to keep the answer as it is"
              aria-invalid={errorOf('edits') ? true : undefined}
              aria-describedby={describedBy('edits', true)}
              onChange={(event) => change('edits', event.target.value)}
            />
            <p id={`${id}-edits-hint`} className="field__hint">
              The whole corrected output, valid against the profile’s output schema.{' '}
              {initialEdits !== undefined && initialEdits !== null ? (
                <button type="button" className="button button--ghost button--small" onClick={() => change('edits', JSON.stringify(initialEdits, null, 2))}>
                  Start from the current result
                </button>
              ) : null}
            </p>
            {fieldError('edits')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-comment`}>Comment</label>
            <textarea
              id={`${id}-comment`}
              rows={2}
              maxLength={COMMENT_MAX}
              value={form.comment}
              aria-invalid={errorOf('comment') ? true : undefined}
              aria-describedby={describedBy('comment')}
              onChange={(event) => change('comment', event.target.value)}
            />
            {fieldError('comment')}
          </div>
          {server.rest.length > 0 ? (
            <ErrorMessage error={new ApiError(400, server.rest, null)} title="Could not save the feedback." />
          ) : submit.isError && !(submit.error instanceof ApiError && submit.error.status === 400) ? (
            <ErrorMessage error={submit.error} title="Could not save the feedback." />
          ) : null}
          <div className="form__actions">
            <button type="submit" className="button button--primary button--small" disabled={submit.isPending}>
              {submit.isPending ? 'Saving…' : 'Save feedback'}
            </button>
            {submit.isSuccess && !touched ? (
              <p className="muted small" role="status">
                Feedback saved.
              </p>
            ) : null}
          </div>
        </form>
      ) : null}
    </section>
  );
}
