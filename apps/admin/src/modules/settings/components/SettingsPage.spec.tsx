import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { BudgetView, CreateUserRequest, Role, UpdateBudgetRequest, UserView } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeBudget, makeMe, makeUser } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

function installSettingsBackend(role: Role, budget: BudgetView = makeBudget()) {
  let current = budget;
  let users: UserView[] = [makeUser({ id: 'user-1', email: 'ada@example.com', role }), makeUser()];
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/budget': () => ({ status: 200, body: current }),
    'PUT /api/v1/budget': (request) => {
      current = { ...current, ...(request.body as UpdateBudgetRequest) };
      return { status: 200, body: current };
    },
    'GET /api/v1/users': () => ({ status: 200, body: users }),
    'POST /api/v1/users': (request) => {
      const { email, role: newRole } = request.body as CreateUserRequest;
      const user = makeUser({ id: 'user-3', email, role: newRole });
      users = [...users, user];
      return { status: 201, body: user };
    },
  });
}

describe('SettingsPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('shows the plan, the usage period and a link to the API keys', async () => {
    installSettingsBackend('member');
    renderApp('/settings');

    const plan = await screen.findByRole('region', { name: 'Plan and usage' });
    expect(plan).toHaveTextContent('Acme Records');
    expect(plan).toHaveTextContent('Pro');
    expect(plan).toHaveTextContent(/March 1, 2025|1 March 2025/);
    expect(await within(plan).findByText('$30.00')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Manage API keys' })).toHaveAttribute('href', '/api-keys');
  });

  it('saves the budget from the limit, percentages and hard stop', async () => {
    const user = userEvent.setup();
    const fetchMock = installSettingsBackend('admin');
    renderApp('/settings');

    const limit = await screen.findByLabelText('Monthly limit (USD)');
    expect(limit).toHaveValue('50');
    expect(screen.getByLabelText('Alert thresholds (% of the limit)')).toHaveValue('50, 80, 100');
    await user.clear(limit);
    await user.type(limit, '120.5');
    await user.clear(screen.getByLabelText('Alert thresholds (% of the limit)'));
    await user.type(screen.getByLabelText('Alert thresholds (% of the limit)'), '90, 75');
    await user.click(screen.getByLabelText('Hard stop'));
    await user.click(screen.getByRole('button', { name: 'Save budget' }));

    expect(await screen.findByText('Budget saved.')).toBeInTheDocument();
    expect(fetchMock.requests.find((request) => request.method === 'PUT')?.body).toEqual({
      monthlyLimitUsd: 120.5,
      alertThresholds: [0.75, 0.9],
      hardStop: true,
    });
    expect(screen.getByLabelText('Alert thresholds (% of the limit)')).toHaveValue('75, 90');
    const meter = screen.getByRole('meter', { name: 'Spend this month against the budget' });
    await waitFor(() => expect(meter).toHaveAttribute('aria-valuetext', '$30.00 of $120.50 (24.9%)'));
  });

  it('explains what is wrong with the budget and sends nothing', async () => {
    const user = userEvent.setup();
    const fetchMock = installSettingsBackend('owner');
    renderApp('/settings');

    const limit = await screen.findByLabelText('Monthly limit (USD)');
    await user.clear(limit);
    await user.type(limit, 'lots');
    await user.clear(screen.getByLabelText('Alert thresholds (% of the limit)'));
    await user.type(screen.getByLabelText('Alert thresholds (% of the limit)'), '50, 5000');
    await user.click(screen.getByRole('button', { name: 'Save budget' }));

    expect(limit).toHaveAttribute('aria-invalid', 'true');
    expect(limit).toHaveAccessibleDescription(expect.stringContaining('Enter the monthly limit in USD'));
    expect(limit).toHaveFocus();
    expect(screen.getByLabelText('Alert thresholds (% of the limit)')).toHaveAccessibleDescription(expect.stringContaining('from 1 to 1000'));
    expect(fetchMock.requests.some((request) => request.method === 'PUT')).toBe(false);
    expect(screen.queryByText('Budget saved.')).not.toBeInTheDocument();
  });

  it('clears the limit to mean no limit, and shows the server’s refusal', async () => {
    const user = userEvent.setup();
    const fetchMock = installSettingsBackend('admin');
    fetchMock.on('PUT /api/v1/budget', () => ({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: ['alertThresholds must not contain more than 10 elements'] },
    }));
    renderApp('/settings');

    await user.clear(await screen.findByLabelText('Monthly limit (USD)'));
    await user.click(screen.getByRole('button', { name: 'Save budget' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('alertThresholds must not contain more than 10 elements');
    expect(fetchMock.requests.find((request) => request.method === 'PUT')?.body).toMatchObject({ monthlyLimitUsd: null });
  });

  it('shows a member the budget without the form or the users', async () => {
    const fetchMock = installSettingsBackend('member');
    renderApp('/settings');

    expect(await screen.findByRole('meter', { name: 'Spend this month against the budget' })).toBeInTheDocument();
    expect(screen.getByText('Only admins and owners of your tenant can change the budget.')).toBeInTheDocument();
    expect(screen.queryByLabelText('Monthly limit (USD)')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Save budget' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add user' })).not.toBeInTheDocument();
    expect(fetchMock.requests.some((request) => request.path === '/api/v1/users')).toBe(false);
  });

  it('adds a user after checking the password, and shows the server’s message when it refuses', async () => {
    const user = userEvent.setup();
    const fetchMock = installSettingsBackend('admin');
    renderApp('/settings');

    const table = await screen.findByRole('region', { name: 'Users table' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    const roles = within(screen.getByLabelText('New user’s role'))
      .getAllByRole('option')
      .map((option) => option.textContent);
    expect(roles).toEqual(['Viewer', 'Member', 'Admin']);

    await user.type(screen.getByLabelText('Email address'), 'cy@example.com');
    await user.type(screen.getByLabelText('Initial password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    expect(screen.getByLabelText('Initial password')).toHaveAccessibleDescription(expect.stringContaining('Passwords need at least 10 characters.'));
    expect(fetchMock.requests.some((request) => request.method === 'POST')).toBe(false);

    await user.type(screen.getByLabelText('Initial password'), '-and-longer');
    await user.selectOptions(screen.getByLabelText('New user’s role'), 'viewer');
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    expect(await screen.findByText('cy@example.com added.')).toBeInTheDocument();
    expect(fetchMock.requests.find((request) => request.method === 'POST')?.body).toEqual({
      email: 'cy@example.com',
      password: 'short-and-longer',
      role: 'viewer',
    });
    expect(await within(table).findByLabelText('Role for cy@example.com')).toHaveValue('viewer');

    fetchMock.on('POST /api/v1/users', () => ({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'A user with this email already exists' },
    }));
    await user.type(screen.getByLabelText('Email address'), 'bob@example.com');
    await user.type(screen.getByLabelText('Initial password'), 'long-enough-password');
    await user.click(screen.getByRole('button', { name: 'Add user' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('A user with this email already exists');
  });

  it('changes a user’s role and removes a user after confirmation', async () => {
    const user = userEvent.setup();
    const fetchMock = installSettingsBackend('owner');
    fetchMock.on('PATCH /api/v1/users/user-2', () => ({ status: 200, body: makeUser({ role: 'admin' }) }));
    fetchMock.on('DELETE /api/v1/users/user-2', () => ({ status: 204 }));
    renderApp('/settings');

    const table = await screen.findByRole('region', { name: 'Users table' });
    const me = within(table).getByRole('row', { name: /ada@example.com/ });
    expect(within(me).queryByRole('combobox')).not.toBeInTheDocument();
    expect(within(me).queryByRole('button')).not.toBeInTheDocument();

    await user.selectOptions(within(table).getByLabelText('Role for bob@example.com'), 'admin');
    await user.click(within(table).getByRole('button', { name: 'Save role for bob@example.com' }));
    expect(await screen.findByText('bob@example.com is now Admin.')).toBeInTheDocument();
    expect(fetchMock.requests.find((request) => request.method === 'PATCH')?.body).toEqual({ role: 'admin' });

    await user.click(within(table).getByRole('button', { name: 'Remove bob@example.com' }));
    const confirm = screen.getByRole('group', { name: 'Confirm removing bob@example.com' });
    expect(within(confirm).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(confirm).getByRole('button', { name: 'Confirm remove' }));
    expect(await screen.findByText('bob@example.com removed.')).toBeInTheDocument();
    expect(fetchMock.requests.find((request) => request.method === 'DELETE')?.path).toBe('/api/v1/users/user-2');
  });
});
