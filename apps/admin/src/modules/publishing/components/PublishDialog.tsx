import type { DeliveryView } from '@margin/contracts';
import { useId, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../../../shared/api/client';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import type { PublishBody } from '../api/postsApi';
import { useEndpoints } from '../hooks/useEndpoints';
import { usePublishPost } from '../hooks/usePosts';
import { endpointTypeLabel } from '../types/endpointForm';
import { parseSchedule } from '../types/schedule';
import { Dialog } from './Dialog';
import { endpointName } from './DeliveriesTable';

interface PublishDialogProps {
  postId: string;
  postTitle: string;
  /** Endpoints the post already went to start ticked: publishing again updates those copies. */
  deliveries: DeliveryView[];
  onClose: () => void;
  onPublished: (count: number, scheduled: boolean) => void;
}

interface Choice {
  id: string;
  label: string;
}

const isForbidden = (error: unknown) => error instanceof ApiError && error.status === 403;
const isConflict = (error: unknown) => error instanceof ApiError && error.status === 409;

export function PublishDialog({ postId, postTitle, deliveries, onClose, onPublished }: PublishDialogProps) {
  const endpoints = useEndpoints();
  const publish = usePublishPost(postId);
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(deliveries.map((delivery) => delivery.endpointId)));
  const [schedule, setSchedule] = useState(false);
  const [when, setWhen] = useState('');
  const [errors, setErrors] = useState<{ endpoints?: string; when?: string }>({});
  const whenRef = useRef<HTMLInputElement>(null);
  const id = useId();
  const published = new Set(deliveries.map((delivery) => delivery.endpointId));
  // Only admins may list the endpoints; anyone else who may publish can still publish again where the post went.
  const listForbidden = endpoints.isError && isForbidden(endpoints.error);
  const choices: Choice[] = endpoints.data
    ? endpoints.data
        .filter((endpoint) => endpoint.enabled)
        .map((endpoint) => ({ id: endpoint.id, label: `${endpoint.name} (${endpointTypeLabel(endpoint.type)})` }))
    : listForbidden
      ? [...published].map((endpointId) => ({ id: endpointId, label: endpointName(undefined, endpointId) }))
      : [];

  const toggle = (endpointId: string): void => {
    setChosen((current) => {
      const next = new Set(current);
      if (next.has(endpointId)) next.delete(endpointId);
      else next.add(endpointId);
      return next;
    });
    setErrors((current) => ({ ...current, endpoints: undefined }));
    publish.reset();
  };

  const send = (force: boolean): void => {
    if (publish.isPending) return;
    const endpointIds = choices.filter((choice) => chosen.has(choice.id)).map((choice) => choice.id);
    const next: typeof errors = {};
    if (endpointIds.length === 0) next.endpoints = 'Choose at least one endpoint.';
    const scheduled = schedule ? parseSchedule(when, new Date()) : null;
    if (scheduled && !scheduled.ok) next.when = scheduled.error;
    setErrors(next);
    if (next.when) whenRef.current?.focus();
    if (next.endpoints || next.when) return;
    const body: PublishBody = { endpointIds };
    if (scheduled?.ok) body.scheduledAt = scheduled.iso;
    if (force) body.force = true;
    publish.mutate(body, { onSuccess: (response) => onPublished(response.deliveries.length, body.scheduledAt !== undefined) });
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    send(false);
  };

  const body = endpoints.isPending ? (
    <LoadingState label="Loading endpoints…" />
  ) : endpoints.isError && !listForbidden ? (
    <ErrorMessage error={endpoints.error} title="Could not load the endpoints." onRetry={() => void endpoints.refetch()} />
  ) : choices.length === 0 ? (
    <p className="notice notice--info">
      {listForbidden
        ? 'Only admins and owners can see your tenant’s endpoints, so ask one of them to publish this post for the first time.'
        : 'No enabled endpoints. An admin can add one on the Endpoints page.'}
    </p>
  ) : (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Publish the post">
      {listForbidden ? (
        <p className="muted small">Only admins and owners can see all of your tenant’s endpoints: you can publish again where this post already went.</p>
      ) : null}
      <fieldset className="fieldset" aria-describedby={errors.endpoints ? `${id}-endpoints-error` : undefined}>
        <legend className="field__label">Endpoints</legend>
        {choices.map((choice) => (
          <div className="checkbox" key={choice.id}>
            <input
              id={`${id}-${choice.id}`}
              type="checkbox"
              checked={chosen.has(choice.id)}
              aria-describedby={published.has(choice.id) ? `${id}-${choice.id}-hint` : undefined}
              onChange={() => toggle(choice.id)}
            />
            <label htmlFor={`${id}-${choice.id}`}>{choice.label}</label>
            {published.has(choice.id) ? (
              <p id={`${id}-${choice.id}-hint`} className="field__hint checkbox__hint">
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
      {publish.isError && isConflict(publish.error) ? (
        <div className="notice notice--warning" role="alert">
          <p className="notice__title">A remote copy changed on its platform</p>
          <p>{publish.error.message}</p>
          <p>Publishing anyway replaces what was changed there with this version of the post.</p>
          <button type="button" className="button button--danger button--small" disabled={publish.isPending} onClick={() => send(true)}>
            Publish anyway, replacing the changed copies
          </button>
        </div>
      ) : publish.isError ? (
        <ErrorMessage error={publish.error} title="Could not publish the post." />
      ) : null}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={publish.isPending}>
          {publish.isPending ? 'Publishing…' : schedule ? 'Schedule' : 'Publish now'}
        </button>
        <button type="button" className="button button--secondary" disabled={publish.isPending} onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );

  return (
    <Dialog title={`Publish “${postTitle}”`} onClose={onClose}>
      {body}
    </Dialog>
  );
}
