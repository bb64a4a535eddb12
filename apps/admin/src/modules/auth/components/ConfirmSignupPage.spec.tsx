import { screen } from '@testing-library/react';
import type { SignupResponse } from '@margin/contracts';
import { getAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const created: SignupResponse = {
  accessToken: 'jwt-for-founder',
  expiresIn: 3600,
  user: { id: 'user-9', email: 'founder@acme.test', role: 'owner', tenantId: 'tenant-9' },
  tenant: { id: 'tenant-9', name: 'Acme', plan: 'free', isOperator: false, createdAt: '2026-12-01T00:00:00.000Z' },
};

describe('ConfirmSignupPage', () => {
  it("sends the mail's token once, starts the session and opens the dashboard", async () => {
    const fetchMock = installFetchMock({
      'POST /api/v1/auth/signup/confirm': () => ({ status: 201, body: created }),
      'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe() }),
    });
    renderApp('/signup/confirm?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG');
    expect(await screen.findByRole('heading', { level: 1, name: 'Dashboard' })).toBeInTheDocument();
    const confirms = fetchMock.requests.filter((r) => r.path === '/api/v1/auth/signup/confirm');
    expect(confirms).toHaveLength(1);
    expect(confirms[0]?.body).toEqual({ token: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' });
    expect(getAccessToken()).toBe('jwt-for-founder');
  });

  it('a used or expired link: the server says so and nobody is signed in', async () => {
    installFetchMock({
      'POST /api/v1/auth/signup/confirm': () => ({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: ['token is invalid, used or expired: sign up again for a new link'],
          code: 'invalid_signup_token',
        },
      }),
    });
    renderApp('/signup/confirm?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG');
    expect(await screen.findByRole('alert')).toHaveTextContent('token is invalid, used or expired');
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/login');
    expect(getAccessToken()).toBeNull();
  });
});
