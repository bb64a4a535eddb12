import type { PostView } from '@margin/contracts';
import { useState } from 'react';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { useDeliveryFeed } from '../hooks/useDeliveryFeed';
import { useEndpoints } from '../hooks/useEndpoints';
import { useDeliveries } from '../hooks/usePosts';
import { DeliveriesTable } from './DeliveriesTable';
import { DeliveryFeedStatus } from './DeliveryFeedStatus';
import { PublishDialog } from './PublishDialog';

interface PostDeliveriesProps {
  post: PostView;
  canPublish: boolean;
  /** Admins may list the endpoints (to name them); the API refuses the list to everyone else. */
  canListEndpoints: boolean;
  /** The form has unsaved changes: publishing sends the saved post, so it waits for a save. */
  dirty: boolean;
}

/** Where the post went and how it stands there, live; and the dialog that sends it. */
export function PostDeliveries({ post, canPublish, canListEndpoints, dirty }: PostDeliveriesProps) {
  const deliveries = useDeliveries(post.id);
  const endpoints = useEndpoints({ enabled: canListEndpoints });
  const feed = useDeliveryFeed(post.id);
  const [publishing, setPublishing] = useState(false);
  const [notice, setNotice] = useState('');

  return (
    <section className="section" aria-labelledby="deliveries-title">
      <div className="toolbar toolbar--between">
        <h2 id="deliveries-title" className="section__title">
          Deliveries
        </h2>
        {canPublish ? (
          <span className="actions">
            {post.status === 'archived' ? (
              <span className="muted small">Archived posts are not published: move it back to draft first.</span>
            ) : dirty ? (
              <span className="muted small">Save your changes to publish them.</span>
            ) : null}
            <button
              type="button"
              className="button button--primary"
              disabled={dirty || post.status === 'archived'}
              onClick={() => {
                setNotice('');
                setPublishing(true);
              }}
            >
              Publish…
            </button>
          </span>
        ) : null}
      </div>
      <DeliveryFeedStatus status={feed} />
      <p className="small" role="status">
        {notice}
      </p>
      {deliveries.isPending ? (
        <LoadingState label="Loading deliveries…" />
      ) : deliveries.isError ? (
        <ErrorMessage error={deliveries.error} title="Could not load the deliveries." onRetry={() => void deliveries.refetch()} />
      ) : deliveries.data.length === 0 ? (
        <div className="empty">
          <p className="empty__title">Not published anywhere yet.</p>
          <p className="muted">
            {canPublish ? 'Publish it to one or more endpoints, now or at a set time.' : 'Someone with a member role or above can publish it.'}
          </p>
        </div>
      ) : (
        <DeliveriesTable postId={post.id} deliveries={deliveries.data} endpoints={endpoints.data} canRetry={canPublish} />
      )}
      {publishing ? (
        <PublishDialog
          postId={post.id}
          postTitle={post.title}
          deliveries={deliveries.data ?? []}
          onClose={() => setPublishing(false)}
          onPublished={(count, scheduled) => {
            setPublishing(false);
            setNotice(`${scheduled ? 'Scheduled' : 'Publishing'} to ${count} ${count === 1 ? 'endpoint' : 'endpoints'}.`);
          }}
        />
      ) : null}
    </section>
  );
}
