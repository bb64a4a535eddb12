import type { DeliveryView, EndpointView } from '@margin/contracts';
import { useState } from 'react';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { formatDateTime } from '../../../shared/format/dates';
import { useRetryDelivery, useUnscheduleDelivery } from '../hooks/usePosts';
import { canRetry, conflictLabel, deliveryStatusLabel, deliveryStatusTone } from '../types/deliveryStatus';
import { endpointTypeLabel } from '../types/endpointForm';

interface DeliveriesTableProps {
  postId: string;
  deliveries: DeliveryView[];
  /** To name each delivery's endpoint; ids are shown while they load (or when the caller may not list them). */
  endpoints: EndpointView[] | undefined;
  canRetry: boolean;
}

/** Without the endpoint list (members may not read it), an endpoint is known by the start of its id. */
export function endpointName(endpoint: EndpointView | undefined, id: string): string {
  return endpoint?.name ?? `Endpoint ${id.slice(0, 8)}`;
}

function Time({ iso }: { iso: string | null }) {
  return iso ? <time dateTime={iso}>{formatDateTime(iso)}</time> : <>—</>;
}

/** One row per endpoint the post went to: where it stands there, and a retry for the failed ones. */
export function DeliveriesTable({ postId, deliveries, endpoints, canRetry: mayRetry }: DeliveriesTableProps) {
  const retry = useRetryDelivery(postId);
  const unschedule = useUnscheduleDelivery(postId);
  const [retried, setRetried] = useState('');
  const byId = new Map((endpoints ?? []).map((endpoint) => [endpoint.id, endpoint]));

  return (
    <>
      {retry.isError ? <ErrorMessage error={retry.error} title="Could not retry the delivery." /> : null}
      {unschedule.isError ? <ErrorMessage error={unschedule.error} title="Could not unschedule the delivery." /> : null}
      <p className="visually-hidden" role="status">
        {retried}
      </p>
      <div className="table-wrap" role="region" aria-label="Deliveries table" tabIndex={0}>
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Status</th>
              <th scope="col">Remote copy</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Next attempt</th>
              <th scope="col">Published</th>
              <th scope="col">Conflict</th>
              {mayRetry ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {deliveries.map((delivery) => {
              const endpoint = byId.get(delivery.endpointId);
              const name = endpointName(endpoint, delivery.endpointId);
              const retrying = retry.isPending && retry.variables === delivery.id;
              return (
                <tr key={delivery.id} aria-label={`Delivery to ${name}`}>
                  <th scope="row" className="table__name">
                    {name}
                    {endpoint ? <span className="muted small"> · {endpointTypeLabel(endpoint.type)}</span> : null}
                  </th>
                  <td>
                    <Badge tone={deliveryStatusTone(delivery.status)}>{deliveryStatusLabel(delivery.status)}</Badge>
                    {delivery.status === 'scheduled' && delivery.scheduledAt ? (
                      <span className="muted small">
                        {' '}
                        for <Time iso={delivery.scheduledAt} />
                      </span>
                    ) : null}
                  </td>
                  <td>
                    {delivery.remoteUrl ? (
                      <a href={delivery.remoteUrl} target="_blank" rel="noopener noreferrer">
                        View<span className="visually-hidden"> on {name}</span>
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{delivery.attempts}</td>
                  <td className="deliveries__error">{delivery.lastError ?? '—'}</td>
                  <td>
                    <Time iso={delivery.nextAttemptAt} />
                  </td>
                  <td>
                    <Time iso={delivery.publishedAt} />
                  </td>
                  <td>{delivery.conflict ? <Badge tone="warning">{conflictLabel(delivery.conflict)}</Badge> : '—'}</td>
                  {mayRetry ? (
                    <td className="table__actions">
                      {canRetry(delivery) ? (
                        <button
                          type="button"
                          className="button button--secondary button--small"
                          disabled={retrying}
                          onClick={() =>
                            // Failures show through retry.error; the promise announces this row's retry, whichever ran last.
                            retry.mutateAsync(delivery.id).then(
                              () => setRetried(`Retrying the delivery to ${name}.`),
                              () => undefined,
                            )
                          }
                        >
                          {retrying ? 'Retrying…' : 'Retry'}
                          <span className="visually-hidden"> delivery to {name}</span>
                        </button>
                      ) : null}
                      {delivery.status === 'scheduled' ? (
                        <button
                          type="button"
                          className="button button--secondary button--small"
                          disabled={unschedule.isPending && unschedule.variables === delivery.id}
                          onClick={() =>
                            unschedule.mutateAsync(delivery.id).then(
                              () => setRetried(`The delivery to ${name} is unscheduled.`),
                              () => undefined,
                            )
                          }
                        >
                          Unschedule<span className="visually-hidden"> delivery to {name}</span>
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
