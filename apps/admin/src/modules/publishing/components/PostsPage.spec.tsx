import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeMe, makePost } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const POSTS = [
  makePost(),
  makePost({ id: 'post-2', title: 'Launch notes', slug: 'launch-notes', status: 'published', conflict: true }),
  makePost({ id: 'post-3', title: 'Old news', slug: 'old-news', status: 'archived' }),
];

function installPostsBackend(role: Role, body: unknown) {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/posts': () => ({ status: 200, body }),
  });
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

  it('filters by status and by conflict', async () => {
    const user = userEvent.setup();
    installPostsBackend('member', POSTS);
    renderApp('/posts');

    await screen.findByRole('table');
    await user.selectOptions(screen.getByLabelText('Status'), 'published');
    expect(within(screen.getByRole('table')).getAllByRole('row')).toHaveLength(2);
    expect(screen.getByRole('table')).toHaveTextContent('Launch notes');
    await user.selectOptions(screen.getByLabelText('Status'), 'draft');
    await user.click(screen.getByLabelText('Only conflicts'));
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.getByText('No posts match the filter.')).toBeInTheDocument();
  });

  it('loads more when the API pages the list', async () => {
    const user = userEvent.setup();
    const mock = installPostsBackend('member', { data: POSTS.slice(0, 2), nextCursor: 'c-2' });
    mock.on('GET /api/v1/posts?cursor=c-2', () => ({ status: 200, body: { data: POSTS.slice(2), nextCursor: null } }));
    renderApp('/posts');

    expect(within(await screen.findByRole('table')).getAllByRole('row')).toHaveLength(3);
    await user.click(screen.getByRole('button', { name: 'Load more posts' }));
    expect(await screen.findByText('Old news')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more posts' })).not.toBeInTheDocument();
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
