import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { POST_STATUSES, type PostStatus, type PostView, type Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { serverEmits } from '../../../testing/fakeSocketIo';
import { installFetchMock } from '../../../testing/fetchMock';
import { POST_ID, makeMe, makePost } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const POSTS = [
  makePost(),
  makePost({ id: 'post-2', title: 'Launch notes', slug: 'launch-notes', status: 'published', conflict: true }),
  makePost({ id: 'post-3', title: 'Old news', slug: 'old-news', status: 'archived' }),
];

/** GET /posts filters by status on the server and answers at most `limit` posts, newest first. */
function installPostsBackend(role: Role, posts: PostView[]) {
  const list = (status?: PostStatus) => () => ({ status: 200, body: posts.filter((post) => !status || post.status === status) });
  const mock = installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/posts?limit=200': list(),
  });
  for (const status of POST_STATUSES) mock.on(`GET /api/v1/posts?limit=200&status=${status}`, list(status));
  return mock;
}

describe('PostsPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('lists the posts with status, conflict flag and a link to each editor', async () => {
    installPostsBackend('member', POSTS);
    renderApp('/posts');

    const rows = within(await screen.findByRole('table')).getAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toHaveTextContent('Ten hymns for spring');
    expect(rows[1]).toHaveTextContent('Draft');
    expect(within(rows[1]).getByRole('link', { name: 'Ten hymns for spring' })).toHaveAttribute('href', '/posts/5b1e9c20-7a3d-4f61-8e2b-9c0d1e2f3a41');
    expect(rows[2]).toHaveTextContent('Published');
    expect(rows[2]).toHaveTextContent('Conflict');
    expect(rows[3]).toHaveTextContent('Archived');
    expect(screen.getByRole('link', { name: 'New post' })).toHaveAttribute('href', '/posts/new');
  });

  it('filters by status on the server, and by conflict among what it answered', async () => {
    const user = userEvent.setup();
    const mock = installPostsBackend('member', POSTS);
    renderApp('/posts');

    await screen.findByRole('table');
    await user.selectOptions(screen.getByLabelText('Status'), 'published');
    await waitFor(() => expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(2));
    expect(screen.getByRole('table')).toHaveTextContent('Launch notes');
    expect(mock.requests.filter((r) => r.path.startsWith('/api/v1/posts')).map((r) => r.path)).toEqual([
      '/api/v1/posts?limit=200',
      '/api/v1/posts?limit=200&status=published',
    ]);

    await user.selectOptions(screen.getByLabelText('Status'), 'draft');
    await waitFor(() => expect(screen.getByRole('table')).toHaveTextContent('Ten hymns for spring'));
    await user.click(screen.getByLabelText('Only conflicts'));
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.getByText('No posts match the filter.')).toBeInTheDocument();
  });

  it('says when the list holds only the newest posts the API answers', async () => {
    installPostsBackend(
      'member',
      Array.from({ length: 200 }, (_, i) => makePost({ id: `post-${i}`, title: `Post ${i}`, slug: `post-${i}` })),
    );
    renderApp('/posts');

    expect(within(await screen.findByRole('table')).getAllByRole('row')).toHaveLength(201);
    expect(screen.getByText('The 200 newest posts; filter by status to narrow the list.')).toBeInTheDocument();
  });

  it('reads the list again when a delivery moves (a post’s status follows its deliveries)', async () => {
    const posts = [makePost({ status: 'scheduled' })];
    const mock = installPostsBackend('member', posts);
    renderApp('/posts');

    const row = await screen.findByRole('row', { name: /Ten hymns for spring/ });
    expect(row).toHaveTextContent('Scheduled');
    await screen.findByText('Live: delivery statuses update as they change.');
    posts[0] = { ...posts[0], status: 'published' };
    await serverEmits(act, 'delivery.updated', { postId: POST_ID, deliveryId: 'delivery-1', endpointId: 'endpoint-wp', status: 'published' });
    await waitFor(() => expect(screen.getByRole('row', { name: /Ten hymns for spring/ })).toHaveTextContent('Published'), { timeout: 4000 });
    expect(mock.requests.filter((r) => r.path === '/api/v1/posts?limit=200')).toHaveLength(2);
  });

  it('offers a viewer no new post', async () => {
    installPostsBackend('viewer', []);
    renderApp('/posts');

    expect(await screen.findByText('No posts yet.')).toBeInTheDocument();
    // The account has loaded: what is hidden is hidden for the role, not for the wait.
    await screen.findByText('Viewer');
    expect(screen.getByText('Posts appear here once someone in your team writes one.')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'New post' })).not.toBeInTheDocument();
  });
});
