import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ApiKeyView, CreateApiKeyRequest, CreatedApiKey, Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeApiKey, makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const FULL_KEY = 'mk_new00001_s3cr3t-value-shown-only-once';

/** A tiny in-memory API-keys backend, so the page sees its own writes after invalidation. */
function installApiKeysBackend(role: Role, initial: ApiKeyView[]) {
  let keys = [...initial];
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/api-keys': () => ({ status: 200, body: keys }),
    'POST /api/v1/api-keys': (request) => {
      const { name, role: keyRole } = request.body as CreateApiKeyRequest;
      const created: CreatedApiKey = {
        ...makeApiKey({ id: 'key-new', name, prefix: 'mk_new00001', role: keyRole ?? 'member' }),
        key: FULL_KEY,
      };
      const { key: _secret, ...view } = created;
      keys = [...keys, view];
      return { status: 201, body: created };
    },
    'DELETE /api/v1/api-keys/key-1': () => {
      keys = keys.map((key) => (key.id === 'key-1' ? { ...key, revokedAt: '2025-03-05T10:00:00.000Z' } : key));
      return { status: 204 };
    },
  });
}

describe('ApiKeysPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('lists the keys with prefix, role and status', async () => {
    installApiKeysBackend('owner', [
      makeApiKey(),
      makeApiKey({ id: 'key-2', name: 'Old importer', prefix: 'mk_old00002', revokedAt: '2025-02-20T00:00:00.000Z' }),
    ]);
    renderApp('/api-keys');

    const table = await screen.findByRole('table');
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('CI pipeline');
    expect(rows[1]).toHaveTextContent('mk_ci000001…');
    expect(rows[1]).toHaveTextContent('Member');
    expect(rows[1]).toHaveTextContent('Never');
    expect(rows[1]).toHaveTextContent('Active');
    expect(rows[2]).toHaveTextContent('Revoked');
    expect(within(rows[2]).queryByRole('button', { name: /revoke/i })).not.toBeInTheDocument();
  });

  it('shows a created key once, with a copy button, until dismissed', async () => {
    const user = userEvent.setup();
    const fetchMock = installApiKeysBackend('admin', []);
    renderApp('/api-keys');

    expect(await screen.findByText('No API keys yet.')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Name'), 'Zapier');
    await user.selectOptions(screen.getByLabelText('Role'), 'viewer');
    await user.click(screen.getByRole('button', { name: 'Create key' }));

    const panel = await screen.findByRole('region', { name: /API key “Zapier” created/ });
    expect(within(panel).getByText(FULL_KEY)).toBeInTheDocument();
    expect(panel).toHaveTextContent(/shown only this once/);
    expect(fetchMock.requests.find((request) => request.method === 'POST')?.body).toEqual({
      name: 'Zapier',
      role: 'viewer',
    });

    await user.click(within(panel).getByRole('button', { name: 'Copy' }));
    await expect(navigator.clipboard.readText()).resolves.toBe(FULL_KEY);
    expect(within(panel).getByRole('status')).toHaveTextContent('Copied to the clipboard.');

    // The list refetches and shows the new key by its prefix only.
    const table = await screen.findByRole('table');
    expect(await within(table).findByText('mk_new00001…')).toBeInTheDocument();
    expect(within(table).queryByText(FULL_KEY)).not.toBeInTheDocument();
    expect(screen.getByLabelText('Name')).toHaveValue('');

    await user.click(within(panel).getByRole('button', { name: 'I have saved the key' }));
    expect(screen.queryByText(FULL_KEY)).not.toBeInTheDocument();
    expect(screen.queryByRole('region', { name: /created/ })).not.toBeInTheDocument();
  });

  it('only offers roles up to the creator’s own', async () => {
    installApiKeysBackend('admin', []);
    renderApp('/api-keys');

    const select = await screen.findByLabelText('Role');
    const options = within(select)
      .getAllByRole('option')
      .map((option) => option.textContent);
    expect(options).toEqual(['Viewer', 'Member', 'Admin']);
    expect(select).toHaveValue('member');
  });

  it('revokes a key only after confirmation', async () => {
    const user = userEvent.setup();
    const fetchMock = installApiKeysBackend('owner', [makeApiKey()]);
    renderApp('/api-keys');

    await user.click(await screen.findByRole('button', { name: 'Revoke CI pipeline' }));
    const confirm = screen.getByRole('group', { name: 'Confirm revoking CI pipeline' });
    expect(confirm).toHaveTextContent('stop working at once');
    expect(within(confirm).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    expect(fetchMock.requests.some((request) => request.method === 'DELETE')).toBe(false);

    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('group', { name: /Confirm revoking/ })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Revoke CI pipeline' })).toHaveFocus();

    await user.click(screen.getByRole('button', { name: 'Revoke CI pipeline' }));
    await user.click(screen.getByRole('button', { name: 'Confirm revoke' }));

    await waitFor(() => expect(screen.queryByRole('group', { name: /Confirm revoking/ })).not.toBeInTheDocument());
    const row = screen.getByRole('row', { name: /CI pipeline/ });
    await waitFor(() => expect(row).toHaveTextContent('Revoked'));
    expect(within(row).queryByRole('button')).not.toBeInTheDocument();
    expect(fetchMock.requests.filter((request) => request.method === 'DELETE')).toHaveLength(1);
    expect(fetchMock.requests.find((request) => request.method === 'DELETE')?.path).toBe('/api/v1/api-keys/key-1');
  });

  it('hides the create and revoke controls from a member', async () => {
    installApiKeysBackend('member', [makeApiKey()]);
    renderApp('/api-keys');

    expect(await screen.findByRole('table')).toBeInTheDocument();
    expect(await screen.findByText(/Only admins and owners/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Create key' })).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Name')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /revoke/i })).not.toBeInTheDocument();
    expect(screen.queryByRole('columnheader', { name: 'Actions' })).not.toBeInTheDocument();
  });

  it('shows the server error when creating fails', async () => {
    const user = userEvent.setup();
    const fetchMock = installApiKeysBackend('admin', []);
    fetchMock.on('POST /api/v1/api-keys', () => ({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: ['name must be shorter than or equal to 100 characters'] },
    }));
    renderApp('/api-keys');

    await user.type(await screen.findByLabelText('Name'), 'Too long');
    await user.click(screen.getByRole('button', { name: 'Create key' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('name must be shorter than or equal to 100 characters');
    expect(screen.queryByText(FULL_KEY)).not.toBeInTheDocument();
  });

  it('shows an error with a retry when the list cannot load', async () => {
    const user = userEvent.setup();
    const fetchMock = installApiKeysBackend('owner', []);
    fetchMock.on('GET /api/v1/api-keys', () => ({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error', errorId: 'e-1' },
    }));
    renderApp('/api-keys');

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load API keys.');
    expect(alert).toHaveTextContent('Internal server error');

    fetchMock.on('GET /api/v1/api-keys', () => ({ status: 200, body: [makeApiKey()] }));
    await user.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('table')).toHaveTextContent('CI pipeline');
  });
});
