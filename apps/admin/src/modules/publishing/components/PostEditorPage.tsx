import type { PostView } from '@margin/contracts';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { ApiError } from '../../../shared/api/client';
import { Badge } from '../../../shared/components/Badge';
import { ErrorMessage } from '../../../shared/components/ErrorMessage';
import { LoadingState } from '../../../shared/components/LoadingState';
import { formatDateTime } from '../../../shared/format/dates';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { useCreatePost, useDeletePost, usePost, useUpdatePost } from '../hooks/usePosts';
import { splitApiErrors } from '../types/apiFieldErrors';
import { postStatusLabel, postStatusTone } from '../types/deliveryStatus';
import {
  EMPTY_POST_FORM,
  POST_ERROR_PATHS,
  isPostDirty,
  parseCreatePost,
  parseUpdatePost,
  postFormOf,
  type PostFormErrors,
  type PostFormValues,
} from '../types/postForm';
import { PostDeliveries } from './PostDeliveries';
import { PostFields } from './PostFields';
import './publishing.css';

/** `/posts/new` (optionally `?fromItemId=`) and `/posts/:id`. */
export function PostEditorPage() {
  const { id } = useParams<{ id: string }>();
  const [search] = useSearchParams();
  if (id) return <ExistingPost key={id} id={id} />;
  const fromItemId = search.get('fromItemId');
  return fromItemId ? <PostFromItem itemId={fromItemId} /> : <NewPost />;
}

function Breadcrumb({ current }: { current: string }) {
  return (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <Link to="/posts">Posts</Link> <span aria-hidden="true">/</span> <span aria-current="page">{current}</span>
    </nav>
  );
}

function ServerErrors({ error, title }: { error: unknown; title: string }) {
  const split = splitApiErrors(error, POST_ERROR_PATHS);
  if (split.rest.length > 0) return <ErrorMessage error={new ApiError(400, split.rest, null)} title={title} />;
  return Object.keys(split.byField).length === 0 ? <ErrorMessage error={error} title={title} /> : null;
}

function focusField(errors: PostFormErrors): void {
  const first = (Object.keys(POST_ERROR_PATHS) as Array<keyof PostFormErrors>).find((field) => errors[field]);
  if (first) document.querySelector<HTMLElement>(`.post-fields [name="${first}"]`)?.focus();
}

/** A post made from a finished blog-post item: the server copies its title, slug, excerpt and content. */
function PostFromItem({ itemId }: { itemId: string }) {
  const navigate = useNavigate();
  const permissions = usePermissions();
  const create = useCreatePost();
  return (
    <>
      <Breadcrumb current="New post" />
      <div className="page-header">
        <h1>New post from a job item</h1>
        <p className="muted">
          Copies the title, slug, excerpt and content of item <code>{itemId}</code> into a draft you can edit before publishing; the post keeps the link to the
          item.
        </p>
      </div>
      {create.isError ? <ErrorMessage error={create.error} title="Could not create the post." /> : null}
      {permissions && !permissions.canRunJobs ? (
        <p className="notice notice--info">Viewers can read posts but not create them.</p>
      ) : (
        <div className="form__actions">
          <button
            type="button"
            className="button button--primary"
            disabled={!permissions || create.isPending}
            onClick={() => create.mutate({ fromItemId: itemId }, { onSuccess: (post) => navigate(`/posts/${post.id}`, { replace: true }) })}
          >
            {create.isPending ? 'Creating…' : 'Create the draft'}
          </button>
          <Link to="/posts" className="button button--secondary">
            Cancel
          </Link>
        </div>
      )}
    </>
  );
}

function NewPost() {
  const navigate = useNavigate();
  const permissions = usePermissions();
  const create = useCreatePost();
  const [values, setValues] = useState<PostFormValues>(EMPTY_POST_FORM);
  const [errors, setErrors] = useState<PostFormErrors>({});
  const server = splitApiErrors(create.error, POST_ERROR_PATHS).byField;

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (create.isPending) return;
    const result = parseCreatePost(values);
    if (!result.ok) {
      setErrors(result.errors);
      focusField(result.errors);
      return;
    }
    setErrors({});
    create.mutate(result.request, {
      onSuccess: (post) => navigate(`/posts/${post.id}`, { replace: true }),
      onError: (error) => focusField(splitApiErrors(error, POST_ERROR_PATHS).byField),
    });
  };

  return (
    <>
      <Breadcrumb current="New post" />
      <div className="page-header">
        <h1>New post</h1>
        <p className="muted">Write in Markdown; the preview shows what the endpoints receive.</p>
      </div>
      {permissions && !permissions.canRunJobs ? <p className="notice notice--info">Viewers can read posts but not create them.</p> : null}
      <form className="form" onSubmit={onSubmit} noValidate aria-label="New post">
        <PostFields
          values={values}
          errors={{ ...server, ...errors }}
          onChange={(patch) => setValues((v) => ({ ...v, ...patch }))}
          readOnly={!permissions?.canRunJobs}
        />
        {create.isError ? <ServerErrors error={create.error} title="Could not create the post." /> : null}
        {permissions?.canRunJobs ? (
          <div className="form__actions">
            <button type="submit" className="button button--primary" disabled={create.isPending}>
              {create.isPending ? 'Saving…' : 'Save draft'}
            </button>
          </div>
        ) : null}
      </form>
    </>
  );
}

function ExistingPost({ id }: { id: string }) {
  const post = usePost(id);
  if (post.isPending) return <LoadingState label="Loading the post…" />;
  if (post.isError) {
    return (
      <>
        <Breadcrumb current="Post" />
        {post.error instanceof ApiError && post.error.status === 404 ? (
          <div className="empty">
            <p className="empty__title">This post does not exist.</p>
            <p className="muted">
              It may have been deleted. <Link to="/posts">Back to the posts</Link>.
            </p>
          </div>
        ) : (
          <ErrorMessage error={post.error} title="Could not load the post." onRetry={() => void post.refetch()} />
        )}
      </>
    );
  }
  return <PostEditor post={post.data} />;
}

function PostEditor({ post }: { post: PostView }) {
  const navigate = useNavigate();
  const permissions = usePermissions();
  const update = useUpdatePost();
  const remove = useDeletePost();
  const [values, setValues] = useState<PostFormValues>(() => postFormOf(post));
  const [errors, setErrors] = useState<PostFormErrors>({});
  const [saved, setSaved] = useState(false);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const cancelDelete = useRef<HTMLButtonElement>(null);
  const canEdit = permissions?.canRunJobs ?? false;
  const dirty = isPostDirty(post, values);
  const server = splitApiErrors(update.error, POST_ERROR_PATHS).byField;

  useEffect(() => {
    if (confirmingDelete) cancelDelete.current?.focus();
  }, [confirmingDelete]);

  // Closing or reloading the tab would drop unsaved edits: the browser asks first.
  useEffect(() => {
    if (!dirty) return undefined;
    const onBeforeUnload = (event: BeforeUnloadEvent): void => event.preventDefault();
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    if (update.isPending) return;
    setSaved(false);
    const result = parseUpdatePost(post, values);
    if (!result.ok) {
      setErrors(result.errors);
      focusField(result.errors);
      return;
    }
    setErrors({});
    if (Object.keys(result.request).length === 0) {
      setSaved(true);
      return;
    }
    update.mutate(
      { id: post.id, request: result.request },
      {
        onSuccess: (next) => {
          setValues(postFormOf(next));
          setSaved(true);
        },
        onError: (error) => focusField(splitApiErrors(error, POST_ERROR_PATHS).byField),
      },
    );
  };

  return (
    <>
      <Breadcrumb current={post.title} />
      <div className="page-header page-header--actions">
        <div>
          <h1>{post.title}</h1>
          <p className="muted small badges">
            <Badge tone={postStatusTone(post.status)}>{postStatusLabel(post.status)}</Badge>
            {post.conflict ? <Badge tone="warning">Conflict</Badge> : null}
            <span>Updated {formatDateTime(post.updatedAt)}</span>
            {post.publishedAt ? <span>Published {formatDateTime(post.publishedAt)}</span> : null}
            {post.sourceJobId ? (
              <span>
                From <Link to={`/jobs/${post.sourceJobId}`}>a job</Link>
              </span>
            ) : null}
          </p>
        </div>
      </div>

      {post.conflict ? (
        <div className="notice notice--warning" role="note">
          <p className="notice__title">A published copy changed on its platform</p>
          <p>
            Someone edited or deleted it there since Margin last wrote it (see the deliveries below). Margin does not overwrite it by itself; publishing again
            replaces the remote copy with this version.
          </p>
        </div>
      ) : null}

      <form className="form" onSubmit={onSubmit} noValidate aria-label="Edit post">
        <PostFields
          values={values}
          errors={{ ...server, ...errors }}
          onChange={(patch) => {
            setValues((current) => ({ ...current, ...patch }));
            setSaved(false);
          }}
          readOnly={!canEdit}
        />
        {update.isError ? <ServerErrors error={update.error} title="Could not save the post." /> : null}
        <p className="small" role="status">
          {saved ? 'Saved.' : ''}
        </p>
        {canEdit ? (
          <div className="form__actions">
            <button type="submit" className="button button--primary" disabled={update.isPending}>
              {update.isPending ? 'Saving…' : 'Save'}
            </button>
            <button
              type="button"
              className="button button--secondary"
              disabled={update.isPending || dirty}
              title={dirty ? 'Save or undo your changes first.' : undefined}
              onClick={() => {
                setSaved(false);
                update.mutate(
                  { id: post.id, request: { status: post.status === 'archived' ? 'draft' : 'archived' } },
                  { onSuccess: (next) => setValues(postFormOf(next)) },
                );
              }}
            >
              {post.status === 'archived' ? 'Back to draft' : 'Archive'}
            </button>
            <button type="button" className="button button--danger-outline" aria-expanded={confirmingDelete} onClick={() => setConfirmingDelete((v) => !v)}>
              Delete post
            </button>
          </div>
        ) : null}
      </form>

      {confirmingDelete ? (
        <div className="confirm confirm--panel" role="group" aria-label="Confirm deleting the post">
          <p className="confirm__text">
            Delete <strong>{post.title}</strong>? Copies already published stay on their platforms.
          </p>
          {remove.isError ? <ErrorMessage error={remove.error} title="Could not delete the post." /> : null}
          <div className="confirm__actions">
            <button
              type="button"
              className="button button--danger button--small"
              disabled={remove.isPending}
              onClick={() => remove.mutate(post.id, { onSuccess: () => navigate('/posts', { replace: true }) })}
            >
              {remove.isPending ? 'Deleting…' : 'Confirm delete'}
            </button>
            <button type="button" ref={cancelDelete} className="button button--secondary button--small" onClick={() => setConfirmingDelete(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}

      <PostDeliveries post={post} canPublish={canEdit} canListEndpoints={permissions?.isAdmin ?? false} dirty={dirty} />
    </>
  );
}
