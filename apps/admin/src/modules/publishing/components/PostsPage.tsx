import { POST_STATUSES, type PostStatus } from '@margin/contracts';
import { useId, useState } from 'react';
import { Link } from 'react-router-dom';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDateTime } from '../../../shared/format/dates';
import { formatCount } from '../../../shared/format/money';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { POSTS_LIMIT } from '../api/postsApi';
import { useDeliveryFeed } from '../hooks/useDeliveryFeed';
import { usePostList } from '../hooks/usePosts';
import { postStatusLabel, postStatusTone } from '../types/deliveryStatus';
import { DeliveryFeedStatus } from './DeliveryFeedStatus';

export function PostsPage() {
  const permissions = usePermissions();
  const [status, setStatus] = useState<PostStatus | ''>('');
  const [conflictsOnly, setConflictsOnly] = useState(false);
  const posts = usePostList(status || undefined);
  // A post's status follows its deliveries (scheduled, published): the list is read again when one moves.
  const feed = useDeliveryFeed();
  const statusId = useId();
  const conflictId = useId();
  const loaded = posts.data ?? [];
  const shown = conflictsOnly ? loaded.filter((post) => post.conflict) : loaded;
  const filtered = status !== '' || conflictsOnly;

  return (
    <>
      <div className="page-header page-header--actions">
        <div>
          <h1>Posts</h1>
          <p className="muted">Posts written here or made from blog-post jobs, and where they are published.</p>
        </div>
        {permissions?.canRunJobs ? (
          <Link to="/posts/new" className="button button--primary">
            New post
          </Link>
        ) : null}
      </div>

      <section className="section" aria-labelledby="posts-list-title">
        <h2 id="posts-list-title" className="visually-hidden">
          Post list
        </h2>
        <div className="toolbar toolbar--between">
          <div className="form form--inline" role="group" aria-label="Filter posts">
            <div className="field">
              <label htmlFor={statusId}>Status</label>
              <select id={statusId} value={status} onChange={(event) => setStatus(event.target.value as PostStatus | '')}>
                <option value="">All statuses</option>
                {POST_STATUSES.map((value) => (
                  <option key={value} value={value}>
                    {postStatusLabel(value)}
                  </option>
                ))}
              </select>
            </div>
            <div className="checkbox">
              <input id={conflictId} type="checkbox" checked={conflictsOnly} onChange={(event) => setConflictsOnly(event.target.checked)} />
              <label htmlFor={conflictId}>Only conflicts</label>
            </div>
          </div>
          <DeliveryFeedStatus status={feed} />
        </div>

        {posts.isPending ? (
          <LoadingState label="Loading posts…" />
        ) : posts.isError && posts.data === undefined ? (
          <ErrorMessage error={posts.error} title="Could not load the posts." onRetry={() => void posts.refetch()} />
        ) : shown.length === 0 ? (
          filtered ? (
            <div className="empty">
              <p className="empty__title">No posts match the filter.</p>
              <p className="muted">Choose another status, or all statuses.</p>
            </div>
          ) : (
            <div className="empty">
              <p className="empty__title">No posts yet.</p>
              <p className="muted">
                {permissions?.canRunJobs ? (
                  <>
                    <Link to="/posts/new">Write one</Link>, or make one from a finished blog-post job item.
                  </>
                ) : (
                  'Posts appear here once someone in your team writes one.'
                )}
              </p>
            </div>
          )
        ) : (
          <>
            <div className="table-wrap" role="region" aria-label="Posts table" tabIndex={0} aria-busy={posts.isPlaceholderData}>
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Title</th>
                    <th scope="col">Status</th>
                    <th scope="col">Conflict</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((post) => (
                    <tr key={post.id}>
                      <th scope="row" className="table__name">
                        <Link to={`/posts/${post.id}`}>{post.title}</Link>
                        <div className="muted small">
                          <code>{post.slug}</code>
                        </div>
                      </th>
                      <td>
                        <Badge tone={postStatusTone(post.status)}>{postStatusLabel(post.status)}</Badge>
                      </td>
                      <td>{post.conflict ? <Badge tone="warning">Conflict</Badge> : '—'}</td>
                      <td>
                        <time dateTime={post.updatedAt}>{formatDateTime(post.updatedAt)}</time>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p className="muted small">
              {loaded.length >= POSTS_LIMIT
                ? `The ${formatCount(POSTS_LIMIT)} newest posts${status ? ' with this status' : ''}; filter by status to narrow the list.`
                : `${formatCount(shown.length)} ${shown.length === 1 ? 'post' : 'posts'}.`}
            </p>
          </>
        )}
      </section>
    </>
  );
}
