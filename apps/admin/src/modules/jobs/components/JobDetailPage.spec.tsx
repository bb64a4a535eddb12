import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { JobItemView, Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { fakeProgressServer, serverEmits } from '../../../testing/fakeSocketIo';
import { installFetchMock, type MockRequest } from '../../../testing/fetchMock';
import { JOB_ID, makeCounters, makeJob, makeJobItem, makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const JOB_PATH = `/api/v1/jobs/${JOB_ID}`;
const ITEMS_PATH = `${JOB_PATH}/items?limit=20`;

function itemsPage(done: number): JobItemView[] {
  return Array.from({ length: 12 }, (_, i) =>
    i < done ? makeJobItem(i, { cached: i === 0 }) : makeJobItem(i, { status: 'queued', result: null, model: null, costUsd: 0 }),
  );
}

function installJobBackend(role: Role = 'member') {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    [`GET ${JOB_PATH}`]: () => ({ status: 200, body: makeJob() }),
    [`GET ${ITEMS_PATH}`]: () => ({ status: 200, body: { data: itemsPage(3), nextCursor: null } }),
  });
}

const count = (requests: MockRequest[], path: string) => requests.filter((request) => request.method === 'GET' && request.path === path).length;

async function waitForLiveFeed() {
  expect(await screen.findByText('Live: updates as items finish.')).toBeInTheDocument();
}

describe('JobDetailPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('moves the progress bar, ETA and cost from the progress feed alone', async () => {
    fakeProgressServer.onSubscribe = () => ({ ok: true, job: makeCounters({ completed: 5, percentage: 41.7, costUsd: 0.000535, etaSeconds: 21 }) });
    const fetchMock = installJobBackend();
    renderApp(`/jobs/${JOB_ID}`);

    expect(await screen.findByRole('heading', { level: 1, name: 'Sunday playlist' })).toBeInTheDocument();
    await waitForLiveFeed();

    // Subscribed to this job with the session's token, over websockets only.
    const [socket] = fakeProgressServer.sockets;
    expect(socket.uri).toBe('/progress');
    expect(socket.options).toEqual({ auth: { token: 'jwt-for-tests' }, transports: ['websocket'] });
    expect(socket.emitted).toEqual([{ event: 'subscribe', payload: { jobId: JOB_ID } }]);

    // The acknowledgement's counters are the starting point.
    const bar = screen.getByRole('progressbar', { name: 'Job progress' });
    expect(bar).toHaveAttribute('aria-valuenow', '41.7');
    expect(bar).toHaveAttribute('aria-valuetext', '5 of 12 items done (41.7%)');
    const progress = screen.getByRole('region', { name: 'Progress' });
    expect(progress).toHaveTextContent('About 21 s left');
    expect(progress).toHaveTextContent('$0.000535');

    await serverEmits(act, 'job.progress', makeCounters({ completed: 8, failed: 1, percentage: 75, costUsd: 0.000963, etaSeconds: 8 }));
    expect(bar).toHaveAttribute('aria-valuenow', '75');
    expect(bar).toHaveAttribute('aria-valuetext', '9 of 12 items done, 1 failed (75%)');
    expect(progress).toHaveTextContent('About 8 s left');
    expect(progress).toHaveTextContent('Cost so far$0.000963');

    // Another job's events are not this job's.
    await serverEmits(act, 'job.progress', makeCounters({ jobId: 'another-job', completed: 1, percentage: 99 }));
    expect(bar).toHaveAttribute('aria-valuenow', '75');
    // No polling: the page read the job once.
    expect(count(fetchMock.requests, JOB_PATH)).toBe(1);

    fetchMock.on(`GET ${JOB_PATH}`, () => ({
      status: 200,
      body: makeJob({
        status: 'completed_with_errors',
        completedItems: 11,
        failedItems: 1,
        costUsd: 0.001177,
        etaSeconds: 0,
        finishedAt: '2025-03-03T10:00:20.000Z',
      }),
    }));
    await serverEmits(
      act,
      'job.completed',
      makeCounters({ status: 'completed_with_errors', completed: 11, failed: 1, percentage: 100, costUsd: 0.001177, etaSeconds: 0 }),
    );
    expect(bar).toHaveAttribute('aria-valuenow', '100');
    expect(within(progress).getByText('Completed with errors')).toBeInTheDocument();
    // Once finished, the job is read again for what the counters do not carry (finishedAt, savings).
    await waitFor(() => expect(progress).toHaveTextContent(/Finished/));
    expect(count(fetchMock.requests, JOB_PATH)).toBe(2);
  });

  it('shows a banner while items wait for a model provider, from the job and from the feed, and drops it when they resume', async () => {
    fakeProgressServer.onSubscribe = () => ({ ok: true, job: makeCounters({ completed: 3, percentage: 25 }) });
    const fetchMock = installJobBackend();
    fetchMock.on(`GET ${JOB_PATH}`, () => ({
      status: 200,
      body: makeJob({
        waiting: true,
        waitingReason: 'ollama/qwen3:8b: circuit open (half-opens in 23 s)',
        waitingUntil: '2025-03-03T10:05:00.000Z',
        maxWaitSeconds: 86400,
      }),
    }));
    renderApp(`/jobs/${JOB_ID}`);

    const banner = await screen.findByRole('status', { name: /Waiting for a model provider to come back/ });
    expect(banner).toHaveTextContent('ollama/qwen3:8b: circuit open (half-opens in 23 s)');
    expect(banner).toHaveTextContent('none fails meanwhile, unless the wait passes 1440 min');
    expect(within(banner).getByText((_, el) => el?.tagName === 'TIME')).toHaveAttribute('dateTime', '2025-03-03T10:05:00.000Z');
    await waitForLiveFeed();

    // A model answered again: the feed says so, the banner goes.
    await serverEmits(act, 'job.progress', makeCounters({ completed: 4, percentage: 33.3, waiting: false, waitingReason: null, waitingUntil: null }));
    await waitFor(() => expect(screen.queryByRole('status', { name: /Waiting for a model provider/ })).not.toBeInTheDocument());

    // And when items start waiting again with no new progress, the feed alone brings it back.
    await serverEmits(
      act,
      'job.progress',
      makeCounters({ completed: 4, percentage: 33.3, waiting: true, waitingReason: 'ollama/qwen3:8b: unreachable', waitingUntil: '2025-03-03T10:06:00.000Z' }),
    );
    expect(await screen.findByRole('status', { name: /Waiting for a model provider/ })).toHaveTextContent('ollama/qwen3:8b: unreachable');
  });

  it('keeps newer feed counters over a slower first read of the job', async () => {
    fakeProgressServer.onSubscribe = () => ({ ok: true, job: makeCounters({ completed: 10, percentage: 83.3 }) });
    const fetchMock = installJobBackend();
    let answer: () => void = () => undefined;
    fetchMock.on(`GET ${JOB_PATH}`, () => new Promise((resolve) => (answer = () => resolve({ status: 200, body: makeJob({ completedItems: 2 }) }))));
    renderApp(`/jobs/${JOB_ID}`);

    await waitFor(() => expect(fakeProgressServer.sockets[0]?.emitted).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    act(() => answer());

    const bar = await screen.findByRole('progressbar', { name: 'Job progress' });
    expect(bar).toHaveAttribute('aria-valuenow', '83.3');
  });

  it('refreshes the visible page of items as items finish, at most about once a second', async () => {
    const fetchMock = installJobBackend();
    renderApp(`/jobs/${JOB_ID}`);

    const table = await screen.findByRole('region', { name: 'Job items table' });
    await waitForLiveFeed();
    expect(within(table).getAllByRole('row')).toHaveLength(13);
    expect(within(table).getAllByRole('row')[5]).toHaveTextContent('Queued');
    expect(count(fetchMock.requests, ITEMS_PATH)).toBe(1);

    fetchMock.on(`GET ${ITEMS_PATH}`, () => ({ status: 200, body: { data: itemsPage(8), nextCursor: null } }));
    act(() => {
      for (let index = 3; index < 8; index++) {
        fakeProgressServer.emit('item.completed', { jobId: JOB_ID, itemId: `item-${index}`, index, status: 'completed', cached: false, costUsd: 0.000107 });
      }
    });

    await waitFor(() => expect(within(table).getAllByRole('row')[5]).toHaveTextContent('Completed'));
    // Five events: one refresh at once, one for the rest at the end of the interval.
    await waitFor(() => expect(count(fetchMock.requests, ITEMS_PATH)).toBe(3), { timeout: 2500 });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(count(fetchMock.requests, ITEMS_PATH)).toBe(3);
  });

  it('shows an item’s result as indented JSON, from its button or its row', async () => {
    const user = userEvent.setup();
    installJobBackend();
    renderApp(`/jobs/${JOB_ID}`);

    const table = await screen.findByRole('region', { name: 'Job items table' });
    const row = within(table).getAllByRole('row')[1];
    expect(row).toHaveTextContent('0');
    expect(row).toHaveTextContent('Completed');
    expect(row).toHaveTextContent('Yes');
    expect(row).toHaveTextContent('openai/gpt-4o-mini');
    expect(row).toHaveTextContent('$0.000107');

    const button = screen.getByRole('button', { name: 'View result for item 1' });
    await user.click(button);
    const dialog = screen.getByRole('dialog', { name: 'Result of item 1' });
    expect(within(dialog).getByRole('heading', { name: 'Result of item 1' })).toBeInTheDocument();
    const json = within(dialog).getByLabelText('Result JSON of item 1');
    expect(json.textContent).toBe(JSON.stringify(makeJobItem(1).result, null, 2));
    expect(json.textContent).toContain('\n  "verdict": "approved"');
    expect(within(dialog).getByRole('button', { name: 'Close' })).toHaveFocus();

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(button).toHaveFocus();

    // A click anywhere on a row opens it too; an item without a result says why.
    await user.click(within(table).getAllByRole('row')[6].querySelector('td') as HTMLElement);
    const pending = screen.getByRole('dialog', { name: 'Result of item 5' });
    expect(pending).toHaveTextContent('No result yet: the item has not finished.');
    await user.click(within(pending).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('pages through the items and filters them by status on the server', async () => {
    const user = userEvent.setup();
    const fetchMock = installJobBackend();
    fetchMock.on(`GET ${ITEMS_PATH}`, () => ({ status: 200, body: { data: Array.from({ length: 20 }, (_, i) => makeJobItem(i)), nextCursor: '19' } }));
    fetchMock.on(`GET ${ITEMS_PATH}&cursor=19`, () => ({ status: 200, body: { data: [makeJobItem(20), makeJobItem(21)], nextCursor: null } }));
    fetchMock.on(`GET ${JOB_PATH}/items?status=failed&limit=20`, () => ({
      status: 200,
      body: { data: [makeJobItem(7, { status: 'failed', result: null, error: 'The model answered with invalid JSON three times.' })], nextCursor: null },
    }));
    renderApp(`/jobs/${JOB_ID}`);

    const table = await screen.findByRole('region', { name: 'Job items table' });
    expect(within(table).getAllByRole('row')).toHaveLength(21);
    expect(screen.getByRole('button', { name: 'Previous items' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Next items' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(3));
    expect(screen.getByText('Page 2: items 20 to 21')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Next items' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Previous items' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(21));

    await user.selectOptions(screen.getByLabelText('Item status'), 'failed');
    await waitFor(() => expect(within(screen.getByRole('region', { name: 'Job items table' })).getAllByRole('row')).toHaveLength(2));
    expect(screen.getByRole('region', { name: 'Job items table' })).toHaveTextContent('The model answered with invalid JSON three times.');
  });

  it('downloads the results as CSV and JSONL with the session’s token', async () => {
    const user = userEvent.setup();
    const fetchMock = installJobBackend();
    fetchMock.on(`GET ${JOB_PATH}/results?format=csv`, () => ({ status: 200, text: 'index,status\n0,completed\n', contentType: 'text/csv' }));
    fetchMock.on(`GET ${JOB_PATH}/results?format=jsonl`, () => ({ status: 200, text: '{"index":0}\n', contentType: 'application/x-ndjson' }));
    const blobs: Blob[] = [];
    Object.assign(URL, {
      createObjectURL: jest.fn((blob: Blob) => {
        blobs.push(blob);
        return 'blob:results';
      }),
      revokeObjectURL: jest.fn(),
    });
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    renderApp(`/jobs/${JOB_ID}`);

    await user.click(await screen.findByRole('button', { name: 'Download CSV' }));
    await waitFor(() => expect(click).toHaveBeenCalledTimes(1));
    expect((click.mock.contexts[0] as HTMLAnchorElement).download).toBe(`job-${JOB_ID}.csv`);
    expect(blobs[0].type).toBe('text/csv');
    const csvRequest = fetchMock.requests.find((request) => request.path.endsWith('format=csv'));
    expect(csvRequest?.headers).toMatchObject({ Authorization: 'Bearer jwt-for-tests' });

    await user.click(screen.getByRole('button', { name: 'Download JSONL' }));
    await waitFor(() => expect(click).toHaveBeenCalledTimes(2));
    expect((click.mock.contexts[1] as HTMLAnchorElement).download).toBe(`job-${JOB_ID}.jsonl`);

    fetchMock.on(`GET ${JOB_PATH}/results?format=csv`, () => ({ status: 500 }));
    await user.click(screen.getByRole('button', { name: 'Download CSV' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not download the results.');
  });

  it('cancels a running job only after confirmation', async () => {
    const user = userEvent.setup();
    const fetchMock = installJobBackend();
    fetchMock.on(`POST ${JOB_PATH}/cancel`, () => ({ status: 200, body: makeJob({ status: 'cancelled', cancelledItems: 9, etaSeconds: 0 }) }));
    renderApp(`/jobs/${JOB_ID}`);

    await user.click(await screen.findByRole('button', { name: 'Cancel job' }));
    const confirm = screen.getByRole('group', { name: 'Confirm cancelling this job' });
    expect(within(confirm).getByRole('button', { name: 'Keep running' })).toHaveFocus();
    await user.click(within(confirm).getByRole('button', { name: 'Keep running' }));
    expect(screen.queryByRole('group', { name: 'Confirm cancelling this job' })).not.toBeInTheDocument();
    expect(fetchMock.requests.some((request) => request.method === 'POST')).toBe(false);

    await user.click(screen.getByRole('button', { name: 'Cancel job' }));
    await user.click(screen.getByRole('button', { name: 'Confirm cancel' }));

    expect(await screen.findByText('Job cancelled.')).toBeInTheDocument();
    expect(within(screen.getByRole('region', { name: 'Progress' })).getByText('Cancelled')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Job progress' })).toHaveAttribute('aria-valuenow', '100');
    expect(screen.queryByRole('button', { name: 'Cancel job' })).not.toBeInTheDocument();
  });

  it('queues failed items again', async () => {
    const user = userEvent.setup();
    const fetchMock = installJobBackend();
    fetchMock.on(`GET ${JOB_PATH}`, () => ({
      status: 200,
      body: makeJob({ status: 'completed_with_errors', completedItems: 10, failedItems: 2, etaSeconds: 0 }),
    }));
    fetchMock.on(`POST ${JOB_PATH}/retry`, () => ({
      status: 200,
      body: { ...makeJob({ status: 'running', completedItems: 10, failedItems: 0, etaSeconds: null }), retriedItems: 2 },
    }));
    renderApp(`/jobs/${JOB_ID}`);

    await user.click(await screen.findByRole('button', { name: 'Retry failed items' }));
    expect(await screen.findByText('2 failed items queued again.')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Job progress' })).toHaveAttribute('aria-valuenow', '83.3');
    expect(screen.queryByRole('button', { name: 'Retry failed items' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Cancel job' })).toBeInTheDocument();
  });

  it('lets a viewer read and download but not cancel or retry', async () => {
    const fetchMock = installJobBackend('viewer');
    fetchMock.on(`GET ${JOB_PATH}`, () => ({ status: 200, body: makeJob({ failedItems: 2 }) }));
    renderApp(`/jobs/${JOB_ID}`);

    expect(await screen.findByRole('button', { name: 'Download CSV' })).toBeInTheDocument();
    await screen.findByText('Viewer');
    expect(screen.queryByRole('button', { name: 'Cancel job' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Retry failed items' })).not.toBeInTheDocument();
  });

  it('says when the job does not exist', async () => {
    fakeProgressServer.autoConnect = false;
    installFetchMock({
      'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe() }),
      [`GET ${JOB_PATH}`]: () => ({ status: 404, body: { statusCode: 404, error: 'Not Found', message: 'Job not found' } }),
    });
    renderApp(`/jobs/${JOB_ID}`);

    expect(await screen.findByRole('heading', { level: 1, name: 'Job not found' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Back to the jobs' })).toHaveAttribute('href', '/jobs');
  });

  it('after a dropped connection, subscribes again and reads the job once to catch up', async () => {
    const fetchMock = installJobBackend();
    renderApp(`/jobs/${JOB_ID}`);
    await waitForLiveFeed();
    const [socket] = fakeProgressServer.sockets;

    act(() => socket.serverDrop());
    expect(screen.getByText('Connection lost; reconnecting to live updates…')).toBeInTheDocument();

    fetchMock.on(`GET ${JOB_PATH}`, () => ({ status: 200, body: makeJob({ completedItems: 7 }) }));
    act(() => socket.serverConnect());
    await waitForLiveFeed();
    expect(socket.emitted.filter((emit) => emit.event === 'subscribe')).toHaveLength(2);
    await waitFor(() => expect(screen.getByRole('progressbar', { name: 'Job progress' })).toHaveAttribute('aria-valuenow', '58.3'));
    expect(count(fetchMock.requests, JOB_PATH)).toBe(2);
  });

  it('tells the person when live updates are refused', async () => {
    fakeProgressServer.autoConnect = false;
    installJobBackend();
    renderApp(`/jobs/${JOB_ID}`);

    expect(await screen.findByText('Connecting to live updates…')).toBeInTheDocument();
    act(() => fakeProgressServer.sockets[0].serverReject('unauthorized'));
    expect(screen.getByText(/Live updates refused your session/)).toBeInTheDocument();
  });
});
