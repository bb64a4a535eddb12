import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { fakeProgressServer, serverEmits } from '../../../testing/fakeSocketIo';
import { installFetchMock, type MockRequest } from '../../../testing/fetchMock';
import { JOB_ID, makeCounters, makeJob, makeJobItem, makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const OTHER_ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const NEW_ID = 'f0e1d2c3-b4a5-4968-8776-655443322110';

function installJobsBackend(role: Role = 'member') {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/jobs?limit=20': () => ({
      status: 200,
      body: {
        data: [
          makeJob(),
          makeJob({
            id: OTHER_ID,
            name: null,
            profile: 'blog-post',
            status: 'completed_with_errors',
            totalItems: 4,
            completedItems: 3,
            failedItems: 1,
            cachedItems: 0,
            costUsd: 1.5,
            createdAt: '2025-03-02T09:00:00.000Z',
          }),
        ],
        nextCursor: 'cursor-2',
      },
    }),
    'GET /api/v1/jobs?limit=20&cursor=cursor-2': () => ({
      status: 200,
      body: { data: [makeJob({ id: 'b7c8d9e0-1f2a-4b3c-9d4e-5f6a7b8c9d0e', name: 'Older batch', status: 'completed', completedItems: 12 })], nextCursor: null },
    }),
  });
}

const listRequests = (requests: MockRequest[]) => requests.filter((request) => request.path.startsWith('/api/v1/jobs?')).map((request) => request.path);

describe('JobsPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('lists jobs with their status, progress, items, cost and profile, and loads more with the cursor', async () => {
    const user = userEvent.setup();
    const fetchMock = installJobsBackend();
    renderApp('/jobs');

    const table = await screen.findByRole('region', { name: 'Jobs table' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(within(rows[1]).getByRole('link', { name: 'Sunday playlist' })).toHaveAttribute('href', `/jobs/${JOB_ID}`);
    expect(rows[1]).toHaveTextContent('song-analysis@1');
    expect(rows[1]).toHaveTextContent('Running');
    expect(rows[1]).toHaveTextContent('3 / 12');
    expect(rows[1]).toHaveTextContent('1 cached');
    expect(rows[1]).toHaveTextContent('$0.000321');
    expect(within(rows[1]).getByRole('progressbar', { name: 'Progress of Sunday playlist' })).toHaveAttribute('aria-valuenow', '25');
    expect(within(rows[2]).getByRole('link', { name: 'Untitled job' })).toBeInTheDocument();
    expect(rows[2]).toHaveTextContent('Completed with errors');
    expect(rows[2]).toHaveTextContent('4 / 4');
    expect(rows[2]).toHaveTextContent('1 failed');
    expect(rows[2]).toHaveTextContent('$1.50');

    await user.click(screen.getByRole('button', { name: 'Load more jobs' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
    expect(within(table).getAllByRole('row')[3]).toHaveTextContent('Older batch');
    expect(screen.queryByRole('button', { name: 'Load more jobs' })).not.toBeInTheDocument();
    expect(screen.getByText('3 jobs loaded (all of them).')).toBeInTheDocument();
    expect(listRequests(fetchMock.requests)).toEqual(['/api/v1/jobs?limit=20', '/api/v1/jobs?limit=20&cursor=cursor-2']);
  });

  it('filters by status on the server', async () => {
    const user = userEvent.setup();
    const fetchMock = installJobsBackend();
    fetchMock.on('GET /api/v1/jobs?status=failed&limit=20', () => ({ status: 200, body: { data: [], nextCursor: null } }));
    renderApp('/jobs');

    await screen.findByRole('region', { name: 'Jobs table' });
    await user.selectOptions(screen.getByLabelText('Status'), 'failed');

    expect(await screen.findByText('No failed jobs.')).toBeInTheDocument();
    expect(listRequests(fetchMock.requests)).toContain('/api/v1/jobs?status=failed&limit=20');
  });

  it('keeps running jobs current from the progress feed, without polling', async () => {
    const fetchMock = installJobsBackend();
    renderApp('/jobs');

    const bar = await screen.findByRole('progressbar', { name: 'Progress of Sunday playlist' });
    expect(await screen.findByText('Live: updates as items finish.')).toBeInTheDocument();
    // Every job of the tenant.
    expect(fakeProgressServer.sockets[0].emitted).toEqual([{ event: 'subscribe', payload: {} }]);

    await serverEmits(act, 'job.progress', makeCounters({ completed: 9, percentage: 75, costUsd: 0.000963 }));
    expect(bar).toHaveAttribute('aria-valuenow', '75');
    const row = screen.getByRole('row', { name: /Sunday playlist/ });
    expect(row).toHaveTextContent('9 / 12');
    expect(row).toHaveTextContent('$0.000963');

    await serverEmits(act, 'job.completed', makeCounters({ status: 'completed', completed: 12, percentage: 100, costUsd: 0.001284 }));
    expect(bar).toHaveAttribute('aria-valuenow', '100');
    expect(row).toHaveTextContent('Completed');
    expect(listRequests(fetchMock.requests)).toEqual(['/api/v1/jobs?limit=20']);
  });

  it('reads the list again, once, when the feed mentions a job it does not show', async () => {
    const fetchMock = installJobsBackend();
    renderApp('/jobs');

    await screen.findByText('Live: updates as items finish.');
    fetchMock.on('GET /api/v1/jobs?limit=20', () => ({
      status: 200,
      body: { data: [makeJob({ id: NEW_ID, name: 'Just submitted', completedItems: 1 }), makeJob()], nextCursor: null },
    }));
    await serverEmits(act, 'job.progress', makeCounters({ jobId: NEW_ID, completed: 1, percentage: 8.3 }));
    await serverEmits(act, 'job.progress', makeCounters({ jobId: NEW_ID, completed: 2, percentage: 16.7 }));

    expect(await screen.findByRole('link', { name: 'Just submitted' })).toBeInTheDocument();
    await serverEmits(act, 'job.progress', makeCounters({ jobId: NEW_ID, completed: 3, percentage: 25 }));
    expect(screen.getByRole('progressbar', { name: 'Progress of Just submitted' })).toHaveAttribute('aria-valuenow', '25');
    expect(listRequests(fetchMock.requests)).toEqual(['/api/v1/jobs?limit=20', '/api/v1/jobs?limit=20']);
  });

  it('keeps one feed connection from the list to a job, changing only the rooms', async () => {
    const user = userEvent.setup();
    const fetchMock = installJobsBackend();
    fetchMock.on(`GET /api/v1/jobs/${JOB_ID}`, () => ({ status: 200, body: makeJob() }));
    fetchMock.on(`GET /api/v1/jobs/${JOB_ID}/items?limit=20`, () => ({ status: 200, body: { data: [makeJobItem(0)], nextCursor: null } }));
    renderApp('/jobs');

    await screen.findByText('Live: updates as items finish.');
    await user.click(screen.getByRole('link', { name: 'Sunday playlist' }));
    expect(await screen.findByRole('progressbar', { name: 'Job progress' })).toBeInTheDocument();
    await screen.findByText('Live: updates as items finish.');

    expect(fakeProgressServer.sockets).toHaveLength(1);
    expect(fakeProgressServer.sockets[0].emitted).toEqual([
      { event: 'subscribe', payload: {} },
      { event: 'unsubscribe', payload: {} },
      { event: 'subscribe', payload: { jobId: JOB_ID } },
    ]);
  });

  it('offers a new job to members, and says when there are no jobs', async () => {
    const fetchMock = installJobsBackend();
    fetchMock.on('GET /api/v1/jobs?limit=20', () => ({ status: 200, body: { data: [], nextCursor: null } }));
    renderApp('/jobs');

    expect(await screen.findByText('No jobs yet.')).toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'New job' })).toHaveAttribute('href', '/jobs/new');
    expect(screen.getByRole('link', { name: 'Create a job' })).toHaveAttribute('href', '/jobs/new');
  });

  it('offers no new job to viewers', async () => {
    installJobsBackend('viewer');
    renderApp('/jobs');

    await screen.findByRole('region', { name: 'Jobs table' });
    await screen.findByText('Viewer');
    expect(screen.queryByRole('link', { name: 'New job' })).not.toBeInTheDocument();
  });

  it('shows Jobs in the navigation, before Costs', async () => {
    installJobsBackend();
    renderApp('/jobs');

    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const links = within(nav)
      .getAllByRole('link')
      .map((link) => link.textContent);
    expect(links.indexOf('Jobs')).toBe(links.indexOf('Costs') - 1);
    expect(within(nav).getByRole('link', { name: 'Jobs' })).toHaveClass('active');
  });
});
