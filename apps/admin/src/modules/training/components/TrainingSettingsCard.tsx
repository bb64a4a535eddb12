import type { TrainingSettingsView } from '@margin/contracts';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { useTrainingSettings, useUpdateTrainingSettings } from '../hooks/useTraining';

function SettingsForm({ settings, canEdit }: { settings: TrainingSettingsView; canEdit: boolean }) {
  const id = useId();
  const save = useUpdateTrainingSettings();
  const [record, setRecord] = useState(settings.recordExamples);
  const [days, setDays] = useState(String(settings.retentionDays));
  const [daysError, setDaysError] = useState<string | null>(null);

  useEffect(() => {
    setRecord(settings.recordExamples);
    setDays(String(settings.retentionDays));
  }, [settings]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const value = Number(days);
    if (!Number.isInteger(value) || value < 1 || value > 3650) {
      setDaysError('A whole number of days from 1 to 3650.');
      return;
    }
    setDaysError(null);
    save.mutate({ recordExamples: record, retentionDays: value });
  };

  return (
    <form className="form form--inline" onSubmit={onSubmit} noValidate aria-label="Training settings">
      <div className="checkbox">
        <input id={`${id}-record`} type="checkbox" checked={record} disabled={!canEdit} onChange={(event) => setRecord(event.target.checked)} />
        <label htmlFor={`${id}-record`}>Record calls as training examples</label>
      </div>
      <div className="field field--narrow">
        <label htmlFor={`${id}-days`}>Keep examples (days)</label>
        <input
          id={`${id}-days`}
          type="number"
          min={1}
          max={3650}
          value={days}
          disabled={!canEdit}
          aria-invalid={daysError ? true : undefined}
          aria-describedby={daysError ? `${id}-days-error` : undefined}
          onChange={(event) => setDays(event.target.value)}
        />
        {daysError ? (
          <p id={`${id}-days-error`} className="field__error">
            {daysError}
          </p>
        ) : null}
      </div>
      {canEdit ? (
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save settings'}
        </button>
      ) : (
        <p className="muted small">Only admins and owners can change these.</p>
      )}
      {save.isError ? <ErrorMessage error={save.error} title="Could not save the settings." /> : null}
      {save.isSuccess ? (
        <p className="muted small" role="status">
          Settings saved.
        </p>
      ) : null}
    </form>
  );
}

/** Whether the tenant's calls are recorded, and for how long. */
export function TrainingSettingsCard({ canEdit }: { canEdit: boolean }) {
  const settings = useTrainingSettings();
  return (
    <section className="card" aria-labelledby="training-settings-title">
      <h2 id="training-settings-title" className="card__title">
        Recording
      </h2>
      {settings.isPending ? (
        <LoadingState label="Loading settings…" />
      ) : settings.isError ? (
        <ErrorMessage error={settings.error} title="Could not load the training settings." onRetry={() => void settings.refetch()} />
      ) : (
        <SettingsForm settings={settings.data} canEdit={canEdit} />
      )}
    </section>
  );
}
