import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { CreateEndpointRequest, EndpointView, Role, UpdateEndpointRequest } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeBlogEndpoint, makeEndpoint, makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

/** An in-memory endpoints backend, so the page sees its own writes after invalidation. */
function installEndpointsBackend(role: Role, initial: EndpointView[]) {
  let endpoints = [...initial];
  const mock = installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/endpoints': () => ({ status: 200, body: endpoints }),
    'POST /api/v1/endpoints': (request) => {
      const body = request.body as CreateEndpointRequest;
      const created = makeEndpoint({
        id: `endpoint-${endpoints.length + 1}`,
        type: body.type,
        name: body.name,
        url: body.url ?? null,
        config: body.config ?? {},
        credentialFields: Object.keys(body.credentials ?? {}),
      });
      endpoints = [...endpoints, created];
      return { status: 201, body: created };
    },
  });
  for (const endpoint of initial) {
    mock.on(`PATCH /api/v1/endpoints/${endpoint.id}`, (request) => {
      const { credentials, ...rest } = request.body as UpdateEndpointRequest;
      endpoints = endpoints.map((e) =>
        e.id === endpoint.id ? { ...e, ...rest, credentialFields: credentials ? Object.keys(credentials) : e.credentialFields } : e,
      );
      return { status: 200, body: endpoints.find((e) => e.id === endpoint.id) };
    });
    mock.on(`DELETE /api/v1/endpoints/${endpoint.id}`, () => {
      endpoints = endpoints.filter((e) => e.id !== endpoint.id);
      return { status: 204 };
    });
  }
  return mock;
}

const requestsTo = (mock: ReturnType<typeof installFetchMock>, method: string, path: string) =>
  mock.requests.filter((request) => request.method === method && request.path === path);

describe('EndpointsPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('lists the endpoints with type, destination and state; the blog links to its pages and feed', async () => {
    installEndpointsBackend('admin', [makeEndpoint(), makeBlogEndpoint({ enabled: false })]);
    renderApp('/endpoints');

    const rows = within(await screen.findByRole('table')).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('Company blog');
    expect(rows[1]).toHaveTextContent('WordPress');
    expect(rows[1]).toHaveTextContent('https://blog.example.com');
    expect(rows[1]).toHaveTextContent('Enabled');
    expect(rows[2]).toHaveTextContent('Own blog');
    expect(rows[2]).toHaveTextContent('Disabled');
    expect(within(rows[2]).getByRole('link', { name: 'Public blog' })).toHaveAttribute('href', 'http://127.0.0.1:3000/blog/acme-records');
    expect(within(rows[2]).getByRole('link', { name: 'RSS feed' })).toHaveAttribute('href', 'http://127.0.0.1:3000/blog/acme-records/feed.xml');
  });

  it('asks each type for its own credentials', async () => {
    const user = userEvent.setup();
    installEndpointsBackend('owner', []);
    renderApp('/endpoints');

    await user.click(await screen.findByRole('button', { name: 'Add endpoint' }));
    const dialog = screen.getByRole('dialog', { name: 'Add an endpoint' });
    const type = within(dialog).getByLabelText('Type');
    expect(type).toHaveFocus();
    const labels = () => Array.from(dialog.querySelectorAll<HTMLInputElement>('input')).map((input) => (input.labels?.[0]?.textContent ?? '').trim());

    expect(labels()).toEqual(['Name', 'Public address']);
    await user.selectOptions(type, 'wordpress');
    expect(labels()).toEqual(['Name', 'Site URL', 'Username', 'Application password']);
    expect(within(dialog).getByLabelText('Application password')).toHaveAttribute('type', 'password');
    await user.selectOptions(type, 'ghost');
    expect(labels()).toEqual(['Name', 'Ghost URL', 'Admin API key']);
    await user.selectOptions(type, 'bluesky');
    expect(labels()).toEqual(['Name', 'Service URL', 'Handle', 'App password']);
    await user.selectOptions(type, 'webhook');
    expect(labels()).toEqual(['Name', 'Receiver URL', 'Signing secret']);
    await user.selectOptions(type, 'strapi');
    expect(labels()).toEqual(['Name', 'Strapi URL', 'API token', 'Content type']);
  });

  it('adds a WordPress endpoint with its credentials and lists it', async () => {
    const user = userEvent.setup();
    const mock = installEndpointsBackend('admin', []);
    renderApp('/endpoints');

    expect(await screen.findByText('No endpoints yet.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    const dialog = screen.getByRole('dialog', { name: 'Add an endpoint' });
    await user.selectOptions(within(dialog).getByLabelText('Type'), 'wordpress');
    await user.type(within(dialog).getByLabelText('Name'), 'Company blog');
    await user.type(within(dialog).getByLabelText('Site URL'), 'https://blog.example.com');
    await user.type(within(dialog).getByLabelText('Username'), 'ada');
    await user.type(within(dialog).getByLabelText('Application password'), 'abcd efgh ijkl');
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(requestsTo(mock, 'POST', '/api/v1/endpoints').map((request) => request.body)).toEqual([
      { type: 'wordpress', name: 'Company blog', url: 'https://blog.example.com', credentials: { username: 'ada', applicationPassword: 'abcd efgh ijkl' } },
    ]);
    expect(await screen.findByRole('row', { name: /Company blog/ })).toHaveTextContent('https://blog.example.com');
    expect(screen.getByText('Endpoint “Company blog” added.')).toBeInTheDocument();
  });

  it('checks the form before sending and shows the server’s 4xx next to the field it names', async () => {
    const user = userEvent.setup();
    const mock = installEndpointsBackend('admin', []);
    renderApp('/endpoints');

    await user.click(await screen.findByRole('button', { name: 'Add endpoint' }));
    const dialog = screen.getByRole('dialog', { name: 'Add an endpoint' });
    await user.selectOptions(within(dialog).getByLabelText('Type'), 'webhook');
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));
    expect(within(dialog).getByLabelText('Name')).toHaveAccessibleDescription('Give the endpoint a name.');
    expect(within(dialog).getByLabelText('Name')).toHaveFocus();
    expect(requestsTo(mock, 'POST', '/api/v1/endpoints')).toHaveLength(0);

    mock.on('POST /api/v1/endpoints', () => ({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: [
          'url: 127.0.0.1 is a private address; outbound requests there are not allowed',
          'credentials.secret must be longer than or equal to 16 characters',
        ],
      },
    }));
    await user.type(within(dialog).getByLabelText('Name'), 'Receiver');
    await user.type(within(dialog).getByLabelText('Receiver URL'), 'http://127.0.0.1:9/hook');
    await user.type(within(dialog).getByLabelText('Signing secret'), 'short');
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));

    const url = within(dialog).getByLabelText('Receiver URL');
    await waitFor(() => expect(url).toHaveAttribute('aria-invalid', 'true'));
    expect(url).toHaveAccessibleDescription('url: 127.0.0.1 is a private address; outbound requests there are not allowed');
    expect(url).toHaveFocus();
    expect(within(dialog).getByLabelText('Signing secret')).toHaveAccessibleDescription(
      'The receiver checks X-Margin-Signature with it. credentials.secret must be longer than or equal to 16 characters',
    );
    // Everything was said next to a field: no general alert repeating it.
    expect(within(dialog).queryByRole('alert')).not.toBeInTheDocument();

    mock.on('POST /api/v1/endpoints', () => ({ status: 409, body: { statusCode: 409, error: 'Conflict', message: 'An endpoint with this name exists' } }));
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('An endpoint with this name exists');
  });

  it('tests an endpoint and shows what the server found', async () => {
    const user = userEvent.setup();
    const mock = installEndpointsBackend('admin', [makeEndpoint(), makeBlogEndpoint()]);
    // WordPress answers last, while the blog's test is already under way.
    mock.on(
      'POST /api/v1/endpoints/endpoint-wp/test',
      () =>
        new Promise((resolve) =>
          setTimeout(() => resolve({ status: 200, body: { ok: false, detail: 'WordPress answered 401: the username or application password is wrong' } }), 300),
        ),
    );
    mock.on('POST /api/v1/endpoints/endpoint-blog/test', () => ({ status: 200, body: { ok: true, detail: 'The blog is live.' } }));
    renderApp('/endpoints');

    // Both at once: each row gets its own answer.
    await user.click(await screen.findByRole('button', { name: 'Test Company blog' }));
    await user.click(screen.getByRole('button', { name: 'Test Our blog' }));
    const wordpress = screen.getByRole('row', { name: /Company blog/ });
    expect(await within(wordpress).findByText('Failed')).toBeInTheDocument();
    expect(wordpress).toHaveTextContent('WordPress answered 401: the username or application password is wrong');
    const blog = screen.getByRole('row', { name: /Our blog/ });
    expect(await within(blog).findByText('OK')).toBeInTheDocument();
    expect(blog).toHaveTextContent('The blog is live.');
    expect(requestsTo(mock, 'POST', '/api/v1/endpoints/endpoint-wp/test')).toHaveLength(1);
  });

  it('edits an endpoint: blank credentials keep the stored ones, typed ones replace the set', async () => {
    const user = userEvent.setup();
    const mock = installEndpointsBackend('admin', [makeEndpoint()]);
    renderApp('/endpoints');

    await user.click(await screen.findByRole('button', { name: 'Edit Company blog' }));
    let dialog = screen.getByRole('dialog', { name: 'Edit Company blog' });
    const name = within(dialog).getByLabelText('Name');
    expect(name).toHaveFocus();
    expect(within(dialog).getByLabelText('Site URL')).toHaveValue('https://blog.example.com');
    expect(within(dialog).getByLabelText('New application password')).toHaveValue('');
    expect(within(dialog).getByLabelText('New application password')).toHaveAttribute('placeholder', 'Keep the stored value');
    await user.clear(name);
    await user.type(name, 'Main blog');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(await screen.findByText('Endpoint “Main blog” saved.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Edit Main blog' }));
    dialog = screen.getByRole('dialog', { name: 'Edit Main blog' });
    await user.type(within(dialog).getByLabelText('New application password'), 'new pass word');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(within(dialog).getByLabelText('New username')).toHaveAccessibleDescription(/Enter the username too/);
    await user.type(within(dialog).getByLabelText('New username'), 'grace');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());

    expect(requestsTo(mock, 'PATCH', '/api/v1/endpoints/endpoint-wp').map((request) => request.body)).toEqual([
      { name: 'Main blog' },
      { credentials: { username: 'grace', applicationPassword: 'new pass word' } },
    ]);
  });

  it('disables and enables an endpoint', async () => {
    const user = userEvent.setup();
    const mock = installEndpointsBackend('admin', [makeEndpoint()]);
    renderApp('/endpoints');

    await user.click(await screen.findByRole('button', { name: 'Disable Company blog' }));
    const row = screen.getByRole('row', { name: /Company blog/ });
    await waitFor(() => expect(row).toHaveTextContent('Disabled'));
    await user.click(within(row).getByRole('button', { name: 'Enable Company blog' }));
    await waitFor(() => expect(row).toHaveTextContent('Enabled'));
    expect(requestsTo(mock, 'PATCH', '/api/v1/endpoints/endpoint-wp').map((request) => request.body)).toEqual([{ enabled: false }, { enabled: true }]);
  });

  it('deletes an endpoint only after confirmation', async () => {
    const user = userEvent.setup();
    const mock = installEndpointsBackend('owner', [makeEndpoint(), makeBlogEndpoint()]);
    renderApp('/endpoints');

    await user.click(await screen.findByRole('button', { name: 'Delete Company blog' }));
    const confirm = screen.getByRole('group', { name: 'Confirm deleting Company blog' });
    expect(within(confirm).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(requestsTo(mock, 'DELETE', '/api/v1/endpoints/endpoint-wp')).toHaveLength(0);

    await user.click(screen.getByRole('button', { name: 'Delete Company blog' }));
    await user.click(screen.getByRole('button', { name: 'Confirm delete' }));
    await waitFor(() => expect(screen.queryByRole('row', { name: /Company blog/ })).not.toBeInTheDocument());
    expect(screen.getByRole('row', { name: /Our blog/ })).toBeInTheDocument();
    expect(requestsTo(mock, 'DELETE', '/api/v1/endpoints/endpoint-wp')).toHaveLength(1);
  });

  it('adds the own blog, with or without its public address, and shows a refusal next to the type', async () => {
    const user = userEvent.setup();
    const mock = installEndpointsBackend('admin', []);
    renderApp('/endpoints');

    await user.click(await screen.findByRole('button', { name: 'Add endpoint' }));
    let dialog = screen.getByRole('dialog', { name: 'Add an endpoint' });
    await user.type(within(dialog).getByLabelText('Name'), 'Our blog');
    await user.type(within(dialog).getByLabelText('Public address'), 'acme');
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());

    mock.on('POST /api/v1/endpoints', () => ({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'type: this tenant already has a blog endpoint (one per tenant)' },
    }));
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    dialog = screen.getByRole('dialog', { name: 'Add an endpoint' });
    await user.type(within(dialog).getByLabelText('Name'), 'Second blog');
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));
    const type = within(dialog).getByLabelText('Type');
    await waitFor(() => expect(type).toHaveAttribute('aria-invalid', 'true'));
    expect(type).toHaveAccessibleDescription(/type: this tenant already has a blog endpoint/);

    expect(requestsTo(mock, 'POST', '/api/v1/endpoints').map((request) => request.body)).toEqual([
      { type: 'blog', name: 'Our blog', config: { slug: 'acme' } },
      { type: 'blog', name: 'Second blog' },
    ]);
  });

  it.each<Role>(['member', 'viewer'])('tells a %s that endpoints are for admins, without asking the API for them', async (role) => {
    const mock = installEndpointsBackend(role, [makeEndpoint(), makeBlogEndpoint()]);
    renderApp('/endpoints');

    expect(await screen.findByText(/Only admins and owners of your tenant can see and manage endpoints/)).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add endpoint' })).not.toBeInTheDocument();
    expect(requestsTo(mock, 'GET', '/api/v1/endpoints')).toHaveLength(0);
  });
});
