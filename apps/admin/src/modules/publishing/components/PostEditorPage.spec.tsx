import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { CreatePostRequest, DeliveryView, PostView, Role, UpdatePostRequest } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { fakeProgressServer, serverEmits } from '../../../testing/fakeSocketIo';
import { installFetchMock, never, type FetchMock } from '../../../testing/fetchMock';
import { JOB_ID, POST_ID, makeBlogEndpoint, makeDelivery, makeEndpoint, makeJob, makeJobItem, makeMe, makePost } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const POST_PATH = `/api/v1/posts/${POST_ID}`;
const DELIVERIES_PATH = `${POST_PATH}/deliveries`;

const ENDPOINTS = [makeEndpoint(), makeBlogEndpoint(), makeEndpoint({ id: 'endpoint-off', type: 'ghost', name: 'Old Ghost', enabled: false })];

interface Backend {
  post: PostView;
  deliveries: DeliveryView[];
}

function installPostBackend(role: Role, backend: Backend): FetchMock {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/endpoints': () => ({ status: 200, body: ENDPOINTS }),
    'GET /api/v1/posts?limit=200': () => ({ status: 200, body: [backend.post] }),
    [`GET ${POST_PATH}`]: () => ({ status: 200, body: backend.post }),
    [`GET ${DELIVERIES_PATH}`]: () => ({ status: 200, body: backend.deliveries }),
    [`PATCH ${POST_PATH}`]: (request) => {
      backend.post = { ...backend.post, ...(request.body as UpdatePostRequest), updatedAt: '2025-03-04T09:00:00.000Z' } as PostView;
      return { status: 200, body: backend.post };
    },
    'POST /api/v1/posts': (request) => {
      const body = request.body as CreatePostRequest;
      backend.post = makePost({
        title: body.title ?? 'From the item',
        content: body.content ?? 'Made from the item.',
        slug: body.slug ?? 'made-by-server',
        sourceItemId: body.fromItemId ?? null,
      });
      return { status: 201, body: backend.post };
    },
  });
}

const sent = (mock: FetchMock, method: string, path: string) => mock.requests.filter((r) => r.method === method && r.path === path).map((r) => r.body);

async function openPost(role: Role, backend: Backend) {
  const mock = installPostBackend(role, backend);
  renderApp(`/posts/${POST_ID}`);
  expect(await screen.findByRole('heading', { level: 1, name: backend.post.title })).toBeInTheDocument();
  return mock;
}

describe('PostEditorPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('previews the markdown live, with scripts, handlers and javascript: links removed', async () => {
    const user = userEvent.setup();
    installPostBackend('member', { post: makePost(), deliveries: [] });
    renderApp('/posts/new');

    const content = await screen.findByLabelText('Content (Markdown)');
    const preview = screen.getByRole('region', { name: 'Preview' });
    expect(preview).toHaveTextContent('Nothing to preview yet.');
    // user.type treats braces and brackets as key names: paste the markdown instead.
    await user.click(content);
    await user.paste(
      '## Hello\n\nSome **bold** text.\n\n<script>window.pwned = true</script>\n\n<img src="https://example.com/a.png" onerror="window.pwned = true">\n\n[click](javascript:window.pwned=true)',
    );

    await waitFor(() => expect(within(preview).getByRole('heading', { level: 2, name: 'Hello' })).toBeInTheDocument());
    expect(within(preview).getByText('bold').tagName).toBe('STRONG');
    expect(preview.querySelector('script')).toBeNull();
    expect(preview.innerHTML).not.toMatch(/onerror|javascript:|pwned/);
    expect(within(preview).getByRole('img')).toHaveAttribute('src', 'https://example.com/a.png');
    expect(within(preview).getByText('click')).not.toHaveAttribute('href');
    expect((window as { pwned?: boolean }).pwned).toBeUndefined();
  });

  it('creates a post from the form and opens it', async () => {
    const user = userEvent.setup();
    const mock = installPostBackend('member', { post: makePost(), deliveries: [] });
    renderApp('/posts/new');

    await user.click(await screen.findByRole('button', { name: 'Save draft' }));
    expect(screen.getByLabelText('Title')).toHaveAccessibleDescription('Give the post a title.');
    expect(screen.getByLabelText('Title')).toHaveFocus();
    expect(sent(mock, 'POST', '/api/v1/posts')).toHaveLength(0);

    await user.type(screen.getByLabelText('Title'), 'Spring hymns');
    await user.type(screen.getByLabelText('Tags'), 'music, spring');
    await user.click(screen.getByLabelText('Content (Markdown)'));
    await user.paste('Hymns for *spring*.');
    await user.click(screen.getByRole('button', { name: 'Save draft' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Spring hymns' })).toBeInTheDocument();
    expect(sent(mock, 'POST', '/api/v1/posts')).toEqual([{ title: 'Spring hymns', content: 'Hymns for *spring*.', tags: ['music', 'spring'] }]);
  });

  it('makes a draft from a blog-post item', async () => {
    const user = userEvent.setup();
    const mock = installPostBackend('member', { post: makePost(), deliveries: [] });
    renderApp('/posts/new?fromItemId=item-3');

    expect(await screen.findByRole('heading', { level: 1, name: 'New post from a job item' })).toBeInTheDocument();
    expect(sent(mock, 'POST', '/api/v1/posts')).toHaveLength(0);
    await user.click(await screen.findByRole('button', { name: 'Create the draft' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'From the item' })).toBeInTheDocument();
    expect(sent(mock, 'POST', '/api/v1/posts')).toEqual([{ fromItemId: 'item-3' }]);
  });

  it('saves only what changed and shows a server 400 next to its field', async () => {
    const user = userEvent.setup();
    const mock = await openPost('member', { post: makePost(), deliveries: [] });

    expect(screen.getByLabelText('Tags')).toHaveValue('music, spring');
    await user.clear(screen.getByLabelText('Excerpt'));
    await user.type(screen.getByLabelText('Title'), '!');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
    expect(sent(mock, 'PATCH', POST_PATH)).toEqual([{ title: 'Ten hymns for spring!', excerpt: null }]);

    mock.on(`PATCH ${POST_PATH}`, () => ({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: ['slug is already used by another post'] },
    }));
    await user.clear(screen.getByLabelText('Slug'));
    await user.type(screen.getByLabelText('Slug'), 'hymns');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const slug = screen.getByLabelText('Slug');
    await waitFor(() => expect(slug).toHaveAttribute('aria-invalid', 'true'));
    expect(slug).toHaveAccessibleDescription(/slug is already used by another post/);
    expect(slug).toHaveFocus();
  });

  it('publishes to the chosen endpoints, now or at a scheduled time', async () => {
    const user = userEvent.setup();
    const backend: Backend = { post: makePost(), deliveries: [] };
    const mock = await openPost('admin', backend);
    mock.on(`POST ${POST_PATH}/publish`, () => {
      backend.deliveries = [
        makeDelivery({ id: 'delivery-1', endpointId: 'endpoint-wp', status: 'scheduled', scheduledAt: '2030-05-01T08:00:00.000Z' }),
        makeDelivery({ id: 'delivery-2', endpointId: 'endpoint-blog', status: 'scheduled', scheduledAt: '2030-05-01T08:00:00.000Z' }),
      ];
      return { status: 202, body: { deliveries: backend.deliveries.map(({ id, endpointId, status }) => ({ id, endpointId, status })) } };
    });
    expect(await screen.findByText('Not published anywhere yet.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Publish…' }));
    let dialog = screen.getByRole('dialog', { name: 'Publish “Ten hymns for spring”' });
    // Disabled endpoints are not offered.
    expect(Array.from(dialog.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')).map((box) => box.labels?.[0]?.textContent)).toEqual([
      'Company blog (WordPress)',
      'Our blog (Own blog)',
      'Schedule for later',
    ]);
    await user.click(within(dialog).getByRole('button', { name: 'Publish now' }));
    expect(within(dialog).getByText('Choose at least one endpoint.')).toBeInTheDocument();

    await user.click(within(dialog).getByLabelText(/Company blog/));
    await user.click(within(dialog).getByLabelText(/Our blog/));
    await user.click(within(dialog).getByLabelText('Schedule for later'));
    const when = within(dialog).getByLabelText('Publish at');
    await user.click(within(dialog).getByRole('button', { name: 'Schedule' }));
    expect(when).toHaveAccessibleDescription(/Choose the date and time to publish at./);
    await user.type(when, '2030-05-01T10:00');
    await user.click(within(dialog).getByRole('button', { name: 'Schedule' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(sent(mock, 'POST', `${POST_PATH}/publish`)).toEqual([
      { endpointIds: ['endpoint-wp', 'endpoint-blog'], scheduledAt: new Date(2030, 4, 1, 10, 0).toISOString() },
    ]);
    expect(screen.getByText('Scheduled to 2 endpoints.')).toBeInTheDocument();
    const table = await screen.findByRole('table');
    expect(within(table).getByRole('row', { name: 'Delivery to Company blog' })).toHaveTextContent('Scheduled');
    expect(within(table).getByRole('row', { name: 'Delivery to Our blog' })).toHaveTextContent('Scheduled');

    // Publishing again starts with the endpoints it already went to, and "now" sends no time.
    await user.click(screen.getByRole('button', { name: 'Publish…' }));
    dialog = screen.getByRole('dialog', { name: /Publish/ });
    expect(within(dialog).getByLabelText(/Company blog/)).toBeChecked();
    expect(within(dialog).getByLabelText(/Company blog/)).toHaveAccessibleDescription('Already sent there: publishing again updates that copy.');
    await user.click(within(dialog).getByLabelText(/Our blog/));
    await user.click(within(dialog).getByRole('button', { name: 'Publish now' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(sent(mock, 'POST', `${POST_PATH}/publish`)[1]).toEqual({ endpointIds: ['endpoint-wp'] });
  });

  it('waits for unsaved changes to be saved before publishing', async () => {
    const user = userEvent.setup();
    await openPost('member', { post: makePost(), deliveries: [] });

    const publish = screen.getByRole('button', { name: 'Publish…' });
    expect(publish).toBeEnabled();
    await user.type(screen.getByLabelText('Title'), ' (draft 2)');
    expect(publish).toBeDisabled();
    expect(screen.getByText('Save your changes to publish them.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(publish).toBeEnabled());
  });

  it('moves delivery statuses live from the progress feed', async () => {
    const backend: Backend = { post: makePost({ status: 'scheduled' }), deliveries: [makeDelivery({ status: 'publishing', attempts: 1 })] };
    const mock = await openPost('admin', backend);

    expect(await screen.findByText('Live: delivery statuses update as they change.')).toBeInTheDocument();
    // The tenant's room: deliveries belong to no job.
    expect(fakeProgressServer.sockets[0].emitted).toEqual([{ event: 'subscribe', payload: {} }]);
    const row = await screen.findByRole('row', { name: 'Delivery to Company blog' });
    expect(row).toHaveTextContent('Publishing');

    // The status comes from the event itself, even while the API has not answered the re-read.
    mock.on(`GET ${DELIVERIES_PATH}`, () => never());
    await serverEmits(act, 'delivery.updated', { postId: POST_ID, deliveryId: 'delivery-1', endpointId: 'endpoint-wp', status: 'published' });
    expect(row).toHaveTextContent('Published');

    // Another post's events are not this post's.
    await serverEmits(act, 'delivery.updated', { postId: 'another-post', deliveryId: 'delivery-1', endpointId: 'endpoint-wp', status: 'failed' });
    expect(row).toHaveTextContent('Published');

    // What the event does not carry (the remote link, the time) is read from the API.
    backend.deliveries = [
      makeDelivery({ status: 'published', attempts: 1, remoteUrl: 'https://blog.example.com/?p=42', remoteId: '42', publishedAt: '2025-03-04T10:00:00.000Z' }),
    ];
    backend.post = { ...backend.post, status: 'published' };
    mock.on(`GET ${DELIVERIES_PATH}`, () => ({ status: 200, body: backend.deliveries }));
    await serverEmits(act, 'delivery.updated', { postId: POST_ID, deliveryId: 'delivery-1', endpointId: 'endpoint-wp', status: 'published' });
    // Re-reads after events are throttled to one a second: this one may wait out the rest of that second.
    expect(await within(row).findByRole('link', { name: 'View on Company blog' }, { timeout: 4000 })).toHaveAttribute('href', 'https://blog.example.com/?p=42');
    await waitFor(() => expect(screen.getByRole('heading', { level: 1, name: 'Ten hymns for spring' }).parentElement).toHaveTextContent('Published'), {
      timeout: 4000,
    });
  });

  it('retries a failed delivery', async () => {
    const user = userEvent.setup();
    const backend: Backend = {
      post: makePost(),
      deliveries: [
        makeDelivery({ status: 'failed', attempts: 1, lastError: 'WordPress answered 401: wrong application password' }),
        makeDelivery({
          id: 'delivery-2',
          endpointId: 'endpoint-blog',
          status: 'published',
          attempts: 1,
          remoteUrl: 'http://127.0.0.1:3000/blog/acme-records/x',
        }),
      ],
    };
    const mock = await openPost('admin', backend);
    mock.on('POST /api/v1/deliveries/delivery-1/retry', () => {
      // A retry starts a fresh count of attempts.
      backend.deliveries = [{ ...backend.deliveries[0], status: 'pending', attempts: 0, lastError: null }, backend.deliveries[1]];
      return { status: 202, body: backend.deliveries[0] };
    });

    const failed = await screen.findByRole('row', { name: 'Delivery to Company blog' });
    expect(failed).toHaveTextContent('Failed');
    expect(failed).toHaveTextContent('WordPress answered 401: wrong application password');
    expect(within(screen.getByRole('row', { name: 'Delivery to Our blog' })).queryByRole('button', { name: /Retry/ })).not.toBeInTheDocument();

    await user.click(within(failed).getByRole('button', { name: 'Retry delivery to Company blog' }));
    await waitFor(() => expect(failed).toHaveTextContent('Pending'));
    expect(within(failed).queryByRole('button', { name: /Retry/ })).not.toBeInTheDocument();
    expect(sent(mock, 'POST', '/api/v1/deliveries/delivery-1/retry')).toHaveLength(1);
  });

  it('unschedules a scheduled delivery', async () => {
    const user = userEvent.setup();
    const backend: Backend = {
      post: makePost({ status: 'scheduled' }),
      deliveries: [makeDelivery({ status: 'scheduled', scheduledAt: '2030-01-01T09:00:00.000Z', remoteId: '42' })],
    };
    const mock = await openPost('admin', backend);
    mock.on('POST /api/v1/deliveries/delivery-1/unschedule', () => {
      backend.deliveries = [{ ...backend.deliveries[0], status: 'cancelled', scheduledAt: null }];
      return { status: 200, body: backend.deliveries[0] };
    });

    const row = await screen.findByRole('row', { name: 'Delivery to Company blog' });
    expect(row).toHaveTextContent('Scheduled');
    await user.click(within(row).getByRole('button', { name: 'Unschedule delivery to Company blog' }));
    await waitFor(() => expect(row).toHaveTextContent('Unscheduled'));
    expect(within(row).queryByRole('button', { name: /Unschedule/ })).not.toBeInTheDocument();
    expect(sent(mock, 'POST', '/api/v1/deliveries/delivery-1/unschedule')).toHaveLength(1);
  });

  it('flags a conflict on the post and on the delivery whose remote copy changed', async () => {
    await openPost('admin', {
      post: makePost({ status: 'published', conflict: true }),
      deliveries: [makeDelivery({ status: 'published', conflict: 'edited', remoteUrl: 'https://blog.example.com/?p=42' })],
    });

    expect(screen.getByRole('note')).toHaveTextContent('A published copy changed on its platform');
    expect(await screen.findByRole('row', { name: 'Delivery to Company blog' })).toHaveTextContent('Edited on the platform');
  });

  it('shows a viewer the post and its deliveries read-only', async () => {
    await openPost('viewer', { post: makePost(), deliveries: [makeDelivery({ status: 'failed', lastError: 'timeout' })] });
    await screen.findByText('Viewer');

    expect(await screen.findByRole('row', { name: /^Delivery to/ })).toHaveTextContent('Failed');
    expect(screen.getByLabelText('Title')).toBeDisabled();
    expect(screen.getByLabelText('Content (Markdown)')).toBeDisabled();
    expect(screen.queryByRole('button', { name: 'Save' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Publish…' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Retry/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete post' })).not.toBeInTheDocument();
  });

  it('deletes the post after confirmation', async () => {
    const user = userEvent.setup();
    const mock = await openPost('member', { post: makePost(), deliveries: [] });
    mock.on(`DELETE ${POST_PATH}`, () => ({ status: 204 }));

    await user.click(screen.getByRole('button', { name: 'Delete post' }));
    const confirm = screen.getByRole('group', { name: 'Confirm deleting the post' });
    expect(within(confirm).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(confirm).getByRole('button', { name: 'Confirm delete' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Posts' })).toBeInTheDocument();
    expect(mock.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
  });

  it.each<[Role, string, boolean]>([
    ['member', 'blog-post', true],
    ['viewer', 'blog-post', false],
    ['member', 'song-analysis', false],
  ])('a %s viewing a %s item is offered a post from it: %s', async (role, profile, offered) => {
    const user = userEvent.setup();
    const mock = installPostBackend(role, { post: makePost(), deliveries: [] });
    mock.on(`GET /api/v1/jobs/${JOB_ID}`, () => ({ status: 200, body: makeJob({ profile, status: 'completed' }) }));
    mock.on(`GET /api/v1/jobs/${JOB_ID}/items?limit=20`, () => ({
      status: 200,
      body: {
        data: [makeJobItem(0, { id: 'item-0', input: { topic: 'Spring hymns' }, result: { title: 'Spring hymns', content: '# Spring' } })],
        nextCursor: null,
      },
    }));
    renderApp(`/jobs/${JOB_ID}`);

    await screen.findByText(role === 'viewer' ? 'Viewer' : 'Member');
    await user.click(await screen.findByRole('button', { name: 'View result for item 0' }));
    const dialog = screen.getByRole('dialog', { name: 'Result of item 0' });
    const link = within(dialog).queryByRole('link', { name: 'Make a post from this item' });
    if (!offered) {
      expect(link).not.toBeInTheDocument();
      return;
    }
    expect(link).toHaveAttribute('href', '/posts/new?fromItemId=item-0');
    await user.click(link as HTMLElement);
    await user.click(await screen.findByRole('button', { name: 'Create the draft' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'From the item' })).toBeInTheDocument();
    expect(sent(mock, 'POST', '/api/v1/posts')).toEqual([{ fromItemId: 'item-0' }]);
  });

  it('asks before publishing over a copy that was changed on its platform', async () => {
    const user = userEvent.setup();
    const backend: Backend = {
      post: makePost({ status: 'published', conflict: true }),
      deliveries: [makeDelivery({ status: 'published', attempts: 1, conflict: 'deleted', remoteUrl: 'https://blog.example.com/?p=42' })],
    };
    const mock = await openPost('owner', backend);
    mock.on(`POST ${POST_PATH}/publish`, (request) => {
      if (!(request.body as { force?: boolean }).force) {
        return {
          status: 409,
          body: {
            statusCode: 409,
            error: 'Conflict',
            message: 'the remote copy on endpoint endpoint-wp was deleted remotely: publish with force: true to overwrite it',
          },
        };
      }
      backend.deliveries = [{ ...backend.deliveries[0], status: 'pending', conflict: null }];
      return { status: 202, body: { deliveries: [{ id: 'delivery-1', endpointId: 'endpoint-wp', status: 'pending' }] } };
    });

    await user.click(await screen.findByRole('button', { name: 'Publish…' }));
    const dialog = screen.getByRole('dialog', { name: /Publish/ });
    await user.click(within(dialog).getByRole('button', { name: 'Publish now' }));
    const warning = await within(dialog).findByRole('alert');
    expect(warning).toHaveTextContent('was deleted remotely');
    await user.click(within(warning).getByRole('button', { name: 'Publish anyway, replacing the changed copies' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(sent(mock, 'POST', `${POST_PATH}/publish`)).toEqual([{ endpointIds: ['endpoint-wp'] }, { endpointIds: ['endpoint-wp'], force: true }]);
    await waitFor(() => expect(screen.getByRole('row', { name: 'Delivery to Company blog' })).toHaveTextContent('Pending'));
  });

  it('lets a member publish again where the post went, without the admins-only endpoint list', async () => {
    const user = userEvent.setup();
    const endpointId = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
    const backend: Backend = { post: makePost(), deliveries: [makeDelivery({ endpointId, status: 'published', attempts: 1 })] };
    const mock = await openPost('member', backend);
    mock.on('GET /api/v1/endpoints', () => ({ status: 403, body: { statusCode: 403, error: 'Forbidden', message: 'This needs the admin role' } }));
    mock.on(`POST ${POST_PATH}/publish`, () => ({ status: 202, body: { deliveries: [{ id: 'delivery-1', endpointId, status: 'pending' }] } }));

    // Named by its id: the deliveries table does not ask for the list a member may not read.
    expect(await screen.findByRole('row', { name: 'Delivery to Endpoint 0f1e2d3c' })).toHaveTextContent('Published');
    expect(mock.requests.some((r) => r.path === '/api/v1/endpoints')).toBe(false);

    await user.click(screen.getByRole('button', { name: 'Publish…' }));
    const dialog = screen.getByRole('dialog', { name: /Publish/ });
    expect(await within(dialog).findByText(/you can publish again where this post already went/)).toBeInTheDocument();
    expect(within(dialog).getByLabelText('Endpoint 0f1e2d3c')).toBeChecked();
    await user.click(within(dialog).getByRole('button', { name: 'Publish now' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(sent(mock, 'POST', `${POST_PATH}/publish`)).toEqual([{ endpointIds: [endpointId] }]);
  });

  it('archives a post (no publishing then) and brings it back to draft', async () => {
    const user = userEvent.setup();
    const mock = await openPost('member', { post: makePost(), deliveries: [] });

    await user.click(screen.getByRole('button', { name: 'Archive' }));
    expect(await screen.findByRole('button', { name: 'Back to draft' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Publish…' })).toBeDisabled();
    expect(screen.getByText('Archived posts are not published: move it back to draft first.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Back to draft' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Publish…' })).toBeEnabled());
    expect(sent(mock, 'PATCH', POST_PATH)).toEqual([{ status: 'archived' }, { status: 'draft' }]);
  });

  it('asks the browser to confirm leaving with unsaved changes', async () => {
    const user = userEvent.setup();
    await openPost('member', { post: makePost(), deliveries: [] });

    const leave = () => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    };
    expect(leave()).toBe(false);
    await user.type(screen.getByLabelText('Title'), '!');
    expect(leave()).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Saved.');
    expect(leave()).toBe(false);
  });
});
