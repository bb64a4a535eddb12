import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { LoginResponse } from '@margin/contracts';
import { getAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock, never } from '../../../testing/fetchMock';
import { makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const loginResponse: LoginResponse = {
  accessToken: 'jwt-for-ada',
  expiresIn: 3600,
  user: { id: 'user-1', email: 'ada@example.com', role: 'owner', tenantId: 'tenant-1' },
};

describe('LoginPage', () => {
  it('submits the credentials, stores the token and opens the dashboard', async () => {
    const user = userEvent.setup();
    const fetchMock = installFetchMock({
      'POST /api/v1/auth/login': () => ({ status: 200, body: loginResponse }),
      'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe() }),
    });
    renderApp('/login');

    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Dashboard' })).toBeInTheDocument();
    const login = fetchMock.requests.find((request) => request.path === '/api/v1/auth/login');
    expect(login).toMatchObject({
      method: 'POST',
      body: { email: 'ada@example.com', password: 'correct horse battery' },
    });
    expect(login?.headers.Authorization).toBeUndefined();
    expect(getAccessToken()).toBe('jwt-for-ada');
    const me = fetchMock.requests.find((request) => request.path === '/api/v1/auth/me');
    expect(me?.headers.Authorization).toBe('Bearer jwt-for-ada');
  });

  it("shows the server's error message and stays signed out", async () => {
    const user = userEvent.setup();
    installFetchMock({
      'POST /api/v1/auth/login': () => ({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', message: 'Invalid email or password' },
      }),
    });
    renderApp('/login');

    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Invalid email or password');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeEnabled();
    expect(screen.getByRole('heading', { level: 1, name: 'Sign in to Margin' })).toBeInTheDocument();
    expect(getAccessToken()).toBeNull();
  });

  it('lists every validation message the server sends', async () => {
    const user = userEvent.setup();
    installFetchMock({
      'POST /api/v1/auth/login': () => ({
        status: 400,
        body: { statusCode: 400, error: 'Bad Request', message: ['email must be an email', 'password is too short'] },
      }),
    });
    renderApp('/login');

    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'x');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('email must be an email');
    expect(alert).toHaveTextContent('password is too short');
  });

  it('disables the button while the request is pending', async () => {
    const user = userEvent.setup();
    installFetchMock({ 'POST /api/v1/auth/login': never });
    renderApp('/login');

    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    await waitFor(() => expect(screen.getByRole('button', { name: 'Sign in' })).toBeDisabled());
    expect(screen.getByRole('status')).toHaveTextContent('Signing in…');
  });
});
