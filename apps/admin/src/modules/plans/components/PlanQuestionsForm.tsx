import type { PlanQuestion } from '@margin/contracts';
import { useId, useState, type FormEvent } from 'react';
import { filledAnswers } from '../types/planForm';

interface PlanQuestionsFormProps {
  questions: PlanQuestion[];
  /** Sends the answers; resolves true when the plan took them. */
  onAnswer?: (answers: Record<string, string>) => Promise<boolean>;
  pending: boolean;
}

/** What the plan could not decide on its own, asked as a form: a list to choose from when the answers are few. */
export function PlanQuestionsForm({ questions, onAnswer, pending }: PlanQuestionsFormProps) {
  const id = useId();
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (!onAnswer || pending) return;
    const answers = filledAnswers(values);
    if (Object.keys(answers).length === 0) {
      setError('Answer at least one question.');
      return;
    }
    setError(null);
    void onAnswer(answers).then((ok) => {
      if (ok) setValues({});
    });
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="card__title">
        Questions
      </h2>
      <form className="form" onSubmit={onSubmit} noValidate aria-label="Questions">
        {questions.map((question) => {
          const inputId = `${id}-${question.field}`;
          const value = values[question.field] ?? '';
          const set = (next: string) => setValues((current) => ({ ...current, [question.field]: next }));
          return (
            <div className="field field--wide" key={question.field}>
              <label htmlFor={inputId}>{question.question}</label>
              {question.options?.length ? (
                <select id={inputId} value={value} disabled={!onAnswer} onChange={(event) => set(event.target.value)}>
                  <option value="">Choose…</option>
                  {question.options.map((option) => (
                    <option key={option.value} value={option.value}>
                      {option.label}
                    </option>
                  ))}
                </select>
              ) : (
                <input id={inputId} type="text" autoComplete="off" value={value} disabled={!onAnswer} onChange={(event) => set(event.target.value)} />
              )}
            </div>
          );
        })}
        {error ? (
          <p className="field__error" role="alert">
            {error}
          </p>
        ) : null}
        {onAnswer ? (
          <div className="form__actions">
            <button type="submit" className="button button--primary" disabled={pending}>
              {pending ? 'Planning again…' : 'Answer'}
            </button>
          </div>
        ) : null}
      </form>
    </section>
  );
}
