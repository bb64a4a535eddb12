import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { AlertView } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const alert: AlertView = {
  id: 'a1',
  rule: 'queue-backlog',
  kind: 'queue_depth',
  state: 'firing',
  value: 1500,
  threshold: 1000,
  subject: 'analysis',
  startedAt: '2026-12-01T10:00:00.000Z',
  resolvedAt: null,
};

describe('AlertsPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('lists recent alerts and saves the rules with the webhook; the server’s problems are shown', async () => {
    const mock = installFetchMock({
      'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role: 'admin' }) }),
      'GET /api/v1/alerts?limit=100': () => ({ status: 200, body: [alert] }),
      'GET /api/v1/alerts/rules': () => ({ status: 200, body: { rules: [{ id: 'spend', kind: 'daily_spend', enabled: true, threshold: 5 }], webhook: null } }),
      'PUT /api/v1/alerts/rules': () => ({
        status: 400,
        body: { statusCode: 400, error: 'Bad Request', message: ['webhook.url is not allowed: private address'] },
      }),
    });
    renderApp('/alerts');
    expect(await screen.findByText('queue-backlog')).toBeInTheDocument();
    expect(screen.getByText('1500')).toBeInTheDocument();
    const rules = await screen.findByLabelText(/^Rules \(JSON/);
    expect((rules as HTMLTextAreaElement).value).toContain('"daily_spend"');
    await userEvent.type(screen.getByLabelText('Webhook URL (optional)'), 'http://10.0.0.1/hook');
    await userEvent.type(screen.getByLabelText(/^Signing secret/), 'a-long-enough-secret');
    await userEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await waitFor(() => expect(mock.requests.some((r) => r.method === 'PUT')).toBe(true));
    const put = mock.requests.find((r) => r.method === 'PUT');
    expect(put?.body).toEqual({
      rules: [{ id: 'spend', kind: 'daily_spend', enabled: true, threshold: 5 }],
      webhook: { url: 'http://10.0.0.1/hook', format: 'margin', secret: 'a-long-enough-secret' },
    });
    expect(await screen.findByText(/webhook.url is not allowed/)).toBeInTheDocument();
  });

  it('adds a "first result slower than a target" rule from the kind list and saves it', async () => {
    const mock = installFetchMock({
      'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role: 'admin' }) }),
      'GET /api/v1/alerts?limit=100': () => ({ status: 200, body: [] }),
      'GET /api/v1/alerts/rules': () => ({ status: 200, body: { rules: [{ id: 'spend', kind: 'daily_spend', enabled: true, threshold: 5 }], webhook: null } }),
      'PUT /api/v1/alerts/rules': () => ({ status: 200, body: { rules: [], webhook: null } }),
    });
    renderApp('/alerts');
    const rules = (await screen.findByLabelText(/^Rules \(JSON/)) as HTMLTextAreaElement;
    expect(screen.getByText(/seconds from a job’s creation to its first item result/)).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText('Kind'), 'first_result_latency');
    await userEvent.click(screen.getByRole('button', { name: 'Add a rule' }));
    await userEvent.click(screen.getByRole('button', { name: 'Add a rule' }));
    expect(JSON.parse(rules.value)).toEqual([
      { id: 'spend', kind: 'daily_spend', enabled: true, threshold: 5 },
      { id: 'first-result-latency', kind: 'first_result_latency', enabled: true, threshold: 60, windowMinutes: 60 },
      { id: 'first-result-latency-2', kind: 'first_result_latency', enabled: true, threshold: 60, windowMinutes: 60 },
    ]);
    await userEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await waitFor(() => expect(mock.requests.some((r) => r.method === 'PUT')).toBe(true));
    expect((mock.requests.find((r) => r.method === 'PUT')?.body as { rules: unknown[] }).rules).toHaveLength(3);
  });

  it('says so when the rules text is not valid JSON instead of adding a rule', async () => {
    installFetchMock({
      'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role: 'admin' }) }),
      'GET /api/v1/alerts?limit=100': () => ({ status: 200, body: [] }),
      'GET /api/v1/alerts/rules': () => ({ status: 200, body: { rules: [], webhook: null } }),
    });
    renderApp('/alerts');
    const rules = (await screen.findByLabelText(/^Rules \(JSON/)) as HTMLTextAreaElement;
    await userEvent.clear(rules);
    await userEvent.type(rules, 'not json');
    await userEvent.click(screen.getByRole('button', { name: 'Add a rule' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The rules are not valid JSON');
    expect(rules.value).toBe('not json');
  });
});
