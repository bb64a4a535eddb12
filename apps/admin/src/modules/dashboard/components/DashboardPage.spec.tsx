import { act, screen, waitFor, within } from '@testing-library/react';
import type { CostGroupBy } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { fakeProgressServer, serverEmits } from '../../../testing/fakeSocketIo';
import { installFetchMock, type MockReply } from '../../../testing/fetchMock';
import { JOB_ID, makeBudget, makeCounters, makeHealth, makeJob, makeMe, makeSummary } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const FROM = '2025-03-01T00%3A00%3A00.000Z';
const summaryPath = (groupBy: CostGroupBy) => `GET /api/v1/costs/summary?groupBy=${groupBy}&from=${FROM}`;

function installDashboardBackend(health: MockReply = { status: 200, body: makeHealth({ openai: { healthy: true, emulated: true } }) }) {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role: 'member' }) }),
    'GET /health': () => health,
    'GET /api/v1/jobs?status=running&limit=5': () => ({ status: 200, body: { data: [], nextCursor: null } }),
    'GET /api/v1/budget': () => ({
      status: 200,
      body: makeBudget({ monthlyLimitUsd: 50, spentUsd: 42, alertThresholds: [0.5, 0.8, 1] }),
    }),
    [summaryPath('day')]: () => ({
      status: 200,
      body: makeSummary({
        totalUsd: 42,
        savedUsd: 0.000535,
        savedByRoutingUsd: 0.000535,
        calls: 1234,
        rows: [
          { key: '2025-03-01', calls: 1000, inputTokens: 1, outputTokens: 1, costUsd: 40 },
          { key: '2025-03-03', calls: 234, inputTokens: 1, outputTokens: 1, costUsd: 2 },
        ],
      }),
    }),
    [summaryPath('provider')]: () => ({
      status: 200,
      body: makeSummary({
        totalUsd: 42,
        rows: [
          { key: 'anthropic', calls: 200, inputTokens: 1, outputTokens: 1, costUsd: 31.5 },
          { key: 'openai', calls: 1034, inputTokens: 1, outputTokens: 1, costUsd: 10.5 },
        ],
      }),
    }),
    [summaryPath('model')]: () => ({
      status: 200,
      body: makeSummary({
        totalUsd: 42,
        rows: [{ key: 'openai/gpt-4o-mini', calls: 1034, inputTokens: 1, outputTokens: 1, costUsd: 0.000535 }],
      }),
    }),
  });
}

describe('DashboardPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('shows this month’s spend against the budget with the thresholds it has crossed', async () => {
    installDashboardBackend();
    renderApp('/');

    const meter = await screen.findByRole('meter', { name: 'Spend this month against the budget' });
    expect(meter).toHaveAttribute('aria-valuetext', '$42.00 of $50.00 (84%)');
    const thresholds = within(screen.getByRole('list', { name: 'Alert thresholds' })).getAllByRole('listitem');
    expect(thresholds.map((item) => item.textContent)).toEqual(['50% ($25.00) · reached', '80% ($40.00) · reached', '100% ($50.00)']);

    const totals = await screen.findByLabelText('Totals this month');
    expect(totals).toHaveTextContent('$42.00');
    expect(totals).toHaveTextContent('$0.000535');
    expect(totals).toHaveTextContent('1,234');
  });

  it('shows spend by day, by provider and by model for the period', async () => {
    const fetchMock = installDashboardBackend();
    renderApp('/');

    const byDay = await screen.findByRole('table', { name: 'Spend by day' });
    const days = within(byDay).getAllByRole('row').slice(1);
    // Every day of the period so far, including the ones without calls.
    expect(days.map((row) => row.textContent)).toEqual(['Mar 11,000$40.00', 'Mar 20$0.00', 'Mar 3234$2.00', 'Mar 40$0.00']);
    expect(screen.getByText('Spend by day over 4 days; the highest was $40.00 on Mar 1.')).toBeInTheDocument();

    const providers = await screen.findByRole('table', { name: 'Spend by provider' });
    expect(within(providers).getByRole('row', { name: /anthropic/ })).toHaveTextContent('$31.5075%');
    const models = await screen.findByRole('table', { name: 'Spend by model' });
    expect(within(models).getByRole('row', { name: /gpt-4o-mini/ })).toHaveTextContent('$0.000535');

    const summaries = fetchMock.requests.filter((request) => request.path.startsWith('/api/v1/costs/summary'));
    expect(summaries.every((request) => request.path.includes(`from=${FROM}`))).toBe(true);
  });

  it('warns that models are emulated, from the public health check', async () => {
    const fetchMock = installDashboardBackend();
    renderApp('/');

    const notice = await screen.findByRole('region', { name: 'Emulator notice' });
    expect(notice).toHaveTextContent('The LLM emulator stands in for openai');
    // A member may not list providers: the notice must not depend on that call.
    expect(fetchMock.requests.some((request) => request.path === '/api/v1/router/providers')).toBe(false);
  });

  it('reads the emulator flag from a 503 health answer too', async () => {
    installDashboardBackend({
      status: 503,
      body: { ...makeHealth({ ollama: { healthy: true, emulated: true } }), status: 'error' },
    });
    renderApp('/');

    expect(await screen.findByRole('region', { name: 'Emulator notice' })).toHaveTextContent('ollama');
  });

  it('shows no emulator notice for real providers', async () => {
    const fetchMock = installDashboardBackend({ status: 200, body: makeHealth({ openai: { healthy: true, emulated: false } }) });
    renderApp('/');

    await screen.findByRole('table', { name: 'Spend by model' });
    expect(fetchMock.requests.some((request) => request.path === '/health')).toBe(true);
    expect(screen.queryByRole('region', { name: 'Emulator notice' })).not.toBeInTheDocument();
  });

  it('says when no monthly limit is set', async () => {
    const fetchMock = installDashboardBackend();
    fetchMock.on('GET /api/v1/budget', () => ({ status: 200, body: makeBudget({ monthlyLimitUsd: null, spentUsd: 0.5 }) }));
    renderApp('/');

    expect(await screen.findByText(/No monthly limit is set/)).toBeInTheDocument();
    expect(screen.queryByRole('meter')).not.toBeInTheDocument();
  });

  it('shows running jobs with live progress from the feed', async () => {
    const fetchMock = installDashboardBackend();
    fetchMock.on('GET /api/v1/jobs?status=running&limit=5', () => ({ status: 200, body: { data: [makeJob()], nextCursor: null } }));
    renderApp('/');

    const running = await screen.findByRole('region', { name: 'Running jobs' });
    const bar = await within(running).findByRole('progressbar', { name: 'Progress of Sunday playlist' });
    expect(bar).toHaveAttribute('aria-valuenow', '25');
    expect(within(running).getByRole('link', { name: 'Sunday playlist' })).toHaveAttribute('href', `/jobs/${JOB_ID}`);
    await within(running).findByText('Live: updates as items finish.');
    expect(fakeProgressServer.sockets[0].emitted).toEqual([{ event: 'subscribe', payload: {} }]);

    await serverEmits(act, 'job.progress', makeCounters({ completed: 6, percentage: 50, costUsd: 0.000642, etaSeconds: 12 }));
    expect(bar).toHaveAttribute('aria-valuenow', '50');
    expect(running).toHaveTextContent('50% · 6 of 12 · $0.000642 · about 12 s left');

    // A finished job leaves the list: the running jobs are read again once.
    fetchMock.on('GET /api/v1/jobs?status=running&limit=5', () => ({ status: 200, body: { data: [], nextCursor: null } }));
    await serverEmits(act, 'job.completed', makeCounters({ status: 'completed', completed: 12, percentage: 100 }));
    expect(await within(running).findByText('No job is running right now.')).toBeInTheDocument();
    await waitFor(() => expect(fetchMock.requests.filter((request) => request.path === '/api/v1/jobs?status=running&limit=5')).toHaveLength(2));
  });

  it('says when no job is running', async () => {
    installDashboardBackend();
    renderApp('/');

    const running = await screen.findByRole('region', { name: 'Running jobs' });
    expect(await within(running).findByText('No job is running right now.')).toBeInTheDocument();
    expect(within(running).getByRole('link', { name: 'See all jobs' })).toHaveAttribute('href', '/jobs');
  });

  it('shows the firing alerts, refreshes them on an alert event, and announces a budget alert from the feed', async () => {
    const fetchMock = installDashboardBackend();
    const firing = {
      id: 'a1',
      rule: 'queue-backlog',
      kind: 'queue_depth',
      state: 'firing',
      value: 1500,
      threshold: 1000,
      subject: 'analysis',
      startedAt: '2025-03-03T10:00:00.000Z',
      resolvedAt: null,
    };
    fetchMock.on('GET /api/v1/alerts?limit=100', () => ({ status: 200, body: [firing] }));
    renderApp('/');
    const card = await screen.findByRole('region', { name: 'Alerts' });
    expect(await within(card).findByText('queue-backlog')).toBeInTheDocument();
    await waitFor(() => expect(fakeProgressServer.sockets.length).toBeGreaterThan(0));

    fetchMock.on('GET /api/v1/alerts?limit=100', () => ({ status: 200, body: [{ ...firing, state: 'resolved', resolvedAt: '2025-03-03T11:00:00.000Z' }] }));
    await serverEmits(act, 'alert', { rule: 'queue-backlog', state: 'resolved', value: 3, subject: 'analysis' });
    expect(await within(card).findByText('No alert is firing.')).toBeInTheDocument();

    await serverEmits(act, 'budget.alert', { threshold: 0.8, spentUsd: 40, limitUsd: 50 });
    expect(await within(card).findByRole('alert')).toHaveTextContent('Budget alert: 80% of the monthly budget reached ($40.00 of $50.00).');
    await waitFor(() => expect(fetchMock.requests.filter((r) => r.path === '/api/v1/budget').length).toBeGreaterThan(1));
  });
});
