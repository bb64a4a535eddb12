import type { DeliveryView, EndpointView } from '@margin/contracts';
import { useId, useRef, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { useEndpoints } from '../hooks/useEndpoints';
import { usePublishPost } from '../hooks/usePosts';
import { endpointTypeLabel } from '../types/endpointForm';
import { parseSchedule } from '../types/schedule';
import { Dialog } from './Dialog';

interface PublishDialogProps {
  postId: string;
  postTitle: string;
  /** Endpoints the post already went to start ticked: publishing again updates those copies. */
  deliveries: DeliveryView[];
  onClose: () => void;
  onPublished: (count: number, scheduled: boolean) => void;
}

export function PublishDialog({ postId, postTitle, deliveries, onClose, onPublished }: PublishDialogProps) {
  const endpoints = useEndpoints();
  const publish = usePublishPost(postId);
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(deliveries.map((delivery) => delivery.endpointId)));
  const [schedule, setSchedule] = useState(false);
  const [when, setWhen] = useState('');
  const [errors, setErrors] = useState<{ endpoints?: string; when?: string }>({});
  const whenRef = useRef<HTMLInputElement>(null);
  const id = useId();
  const enabled = (endpoints.data ?? []).filter((endpoint) => endpoint.enabled);
  const published = new Set(deliveries.map((delivery) => delivery.endpointId));

  const toggle = (endpoint: EndpointView): void => {
    setChosen((current) => {
      const next = new Set(current);
      if (next.has(endpoint.id)) next.delete(endpoint.id);
      else next.add(endpoint.id);
      return next;
    });
    setErrors((current) => ({ ...current, endpoints: undefined }));
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (publish.isPending) return;
    const endpointIds = enabled.filter((endpoint) => chosen.has(endpoint.id)).map((endpoint) => endpoint.id);
    const next: typeof errors = {};
    if (endpointIds.length === 0) next.endpoints = 'Choose at least one endpoint.';
    const scheduled = schedule ? parseSchedule(when, new Date()) : null;
    if (scheduled && !scheduled.ok) next.when = scheduled.error;
    setErrors(next);
    if (next.when) whenRef.current?.focus();
    if (next.endpoints || next.when) return;
    const scheduledAt = scheduled?.ok ? scheduled.iso : undefined;
    publish.mutate(scheduledAt ? { endpointIds, scheduledAt } : { endpointIds }, {
      onSuccess: (response) => onPublished(response.deliveries.length, scheduledAt !== undefined),
    });
  };

  return (
    <Dialog title={`Publish “${postTitle}”`} onClose={onClose}>
      {endpoints.isPending ? (
        <LoadingState label="Loading endpoints…" />
      ) : endpoints.isError ? (
        <ErrorMessage error={endpoints.error} title="Could not load the endpoints." onRetry={() => void endpoints.refetch()} />
      ) : enabled.length === 0 ? (
        <p className="notice notice--info">No enabled endpoints. An admin can add one on the Endpoints page.</p>
      ) : (
        <form className="form" onSubmit={onSubmit} noValidate aria-label="Publish the post">
          <fieldset className="fieldset" aria-describedby={errors.endpoints ? `${id}-endpoints-error` : undefined}>
            <legend className="field__label">Endpoints</legend>
            {enabled.map((endpoint) => (
              <div className="checkbox" key={endpoint.id}>
                <input
                  id={`${id}-${endpoint.id}`}
                  type="checkbox"
                  checked={chosen.has(endpoint.id)}
                  aria-describedby={published.has(endpoint.id) ? `${id}-${endpoint.id}-hint` : undefined}
                  onChange={() => toggle(endpoint)}
                />
                <label htmlFor={`${id}-${endpoint.id}`}>
                  {endpoint.name} <span className="muted small">({endpointTypeLabel(endpoint.type)})</span>
                </label>
                {published.has(endpoint.id) ? (
                  <p id={`${id}-${endpoint.id}-hint`} className="field__hint checkbox__hint">
                    Already sent there: publishing again updates that copy.
                  </p>
                ) : null}
              </div>
            ))}
            {errors.endpoints ? (
              <p id={`${id}-endpoints-error`} className="field__error">
                {errors.endpoints}
              </p>
            ) : null}
          </fieldset>
          <div className="checkbox">
            <input id={`${id}-schedule`} type="checkbox" checked={schedule} onChange={(event) => setSchedule(event.target.checked)} />
            <label htmlFor={`${id}-schedule`}>Schedule for later</label>
          </div>
          {schedule ? (
            <div className="field">
              <label htmlFor={`${id}-when`}>Publish at</label>
              <input
                id={`${id}-when`}
                ref={whenRef}
                type="datetime-local"
                value={when}
                aria-invalid={errors.when ? true : undefined}
                aria-describedby={`${id}-when-hint${errors.when ? ` ${id}-when-error` : ''}`}
                onChange={(event) => setWhen(event.target.value)}
              />
              <p id={`${id}-when-hint`} className="field__hint">
                Your local time. WordPress and Ghost schedule it themselves; the others are sent at that time.
              </p>
              {errors.when ? (
                <p id={`${id}-when-error`} className="field__error">
                  {errors.when}
                </p>
              ) : null}
            </div>
          ) : null}
          {publish.isError ? <ErrorMessage error={publish.error} title="Could not publish the post." /> : null}
          <div className="form__actions">
            <button type="submit" className="button button--primary" disabled={publish.isPending}>
              {publish.isPending ? 'Publishing…' : schedule ? 'Schedule' : 'Publish now'}
            </button>
            <button type="button" className="button button--secondary" disabled={publish.isPending} onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
