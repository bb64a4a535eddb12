import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { getAccessToken, setAccessToken } from '../shared/api/tokenStore';
import { installFetchMock } from '../testing/fetchMock';
import { makeMe } from '../testing/fixtures';
import { renderApp } from '../testing/renderApp';

describe('App routing and shell', () => {
  it('sends a visitor without a session to the login page', async () => {
    const fetchMock = installFetchMock({});
    renderApp('/api-keys');

    expect(await screen.findByRole('heading', { name: 'Sign in to Margin' })).toBeInTheDocument();
    expect(fetchMock.requests).toHaveLength(0);
  });

  it('shows who is signed in, to which tenant and plan, and the account summary', async () => {
    setAccessToken('jwt', 3600);
    installFetchMock({ 'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role: 'admin' }) }) });
    renderApp('/');

    const account = await screen.findByRole('region', { name: 'Signed-in account' });
    expect(await within(account).findByText('ada@example.com')).toBeInTheDocument();
    expect(account).toHaveTextContent('Admin');
    expect(account).toHaveTextContent('Acme Records');
    expect(account).toHaveTextContent('Pro plan');

    const main = screen.getByRole('main');
    expect(within(main).getByRole('heading', { level: 1, name: 'Dashboard' })).toBeInTheDocument();
    expect(within(main).getByRole('heading', { name: 'Usage period' })).toBeInTheDocument();
    expect(main).toHaveTextContent(/April 1, 2025|1 April 2025/);
    expect(main).not.toHaveTextContent(/coming soon/i);
  });

  it('signs out and forgets the session', async () => {
    const user = userEvent.setup();
    setAccessToken('jwt', 3600);
    installFetchMock({ 'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe() }) });
    renderApp('/');

    await screen.findByText('Acme Records', { selector: '.account__tenant' });
    await user.click(screen.getByRole('button', { name: 'Sign out' }));

    expect(await screen.findByRole('heading', { name: 'Sign in to Margin' })).toBeInTheDocument();
    expect(getAccessToken()).toBeNull();
  });

  it('returns to the login page when the session is rejected', async () => {
    setAccessToken('expired-jwt', 3600);
    installFetchMock({
      'GET /api/v1/auth/me': () => ({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' } }),
    });
    renderApp('/');

    expect(await screen.findByRole('heading', { name: 'Sign in to Margin' })).toBeInTheDocument();
    await waitFor(() => expect(getAccessToken()).toBeNull());
  });
});
