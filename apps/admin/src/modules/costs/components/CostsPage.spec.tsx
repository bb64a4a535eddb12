import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { LlmCallView } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeCall, makeMe, makeSummary } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const JOB_ID = '3f2b8c1e-9a4d-4e7b-8c21-5d6f7a8b9c0d';
const SUMMARY_PATH = '/api/v1/costs/summary?groupBy=model&from=2025-03-01T00%3A00%3A00.000Z';

function page(count: number, start: number, overrides: Partial<LlmCallView> = {}): LlmCallView[] {
  return Array.from({ length: count }, (_, i) => makeCall({ id: `call-${start + i}`, operation: `op-${start + i}`, ...overrides }));
}

function installCostsBackend() {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role: 'member' }) }),
    [`GET ${SUMMARY_PATH}`]: () => ({
      status: 200,
      body: makeSummary({ totalUsd: 1234.5, savedUsd: 0.000535, savedByRoutingUsd: 0.000535, calls: 75, inputTokens: 120_000, outputTokens: 8_000 }),
    }),
    'GET /api/v1/costs/calls?limit=50': () => ({ status: 200, body: { data: page(50, 1), nextCursor: 'cursor-2' } }),
    'GET /api/v1/costs/calls?limit=50&cursor=cursor-2': () => ({
      status: 200,
      body: {
        data: [
          ...page(20, 51),
          ...page(5, 71, { provider: 'anthropic', model: 'anthropic/claude-haiku-4-5', outcome: 'rate_limited', error: '429 from provider' }),
        ],
        nextCursor: null,
      },
    }),
  });
}

/** jsdom's Blob has no text(). */
function readText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

describe('CostsPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('shows the period’s totals', async () => {
    installCostsBackend();
    renderApp('/costs');

    const totals = await screen.findByLabelText('Totals this period');
    expect(totals).toHaveTextContent('$1,234.50');
    expect(totals).toHaveTextContent('$0.000535');
    expect(totals).toHaveTextContent('75');
    expect(totals).toHaveTextContent('120,000');
  });

  it('loads the ledger a page at a time with the server’s cursor', async () => {
    const user = userEvent.setup();
    const fetchMock = installCostsBackend();
    renderApp('/costs');

    const table = await screen.findByRole('region', { name: 'Calls table' });
    expect(within(table).getAllByRole('row')).toHaveLength(51);
    expect(screen.getByText('50 calls loaded.')).toBeInTheDocument();
    const first = within(table).getAllByRole('row')[1];
    expect(first).toHaveTextContent('op-1');
    expect(first).toHaveTextContent('openai/gpt-4o-mini');
    expect(first).toHaveTextContent('$0.000066');
    expect(first).toHaveTextContent('120 / 80');

    await user.click(screen.getByRole('button', { name: 'Load more calls' }));

    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(76));
    expect(within(table).getAllByRole('row')[51]).toHaveTextContent('op-51');
    expect(screen.getByText('75 calls loaded (all of them).')).toBeInTheDocument();
    expect(screen.getByText('All calls loaded.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more calls' })).not.toBeInTheDocument();
    expect(fetchMock.requests.map((request) => request.path).filter((path) => path.startsWith('/api/v1/costs/calls'))).toEqual([
      '/api/v1/costs/calls?limit=50',
      '/api/v1/costs/calls?limit=50&cursor=cursor-2',
    ]);
  });

  it('filters the loaded rows by provider, model and outcome', async () => {
    const user = userEvent.setup();
    installCostsBackend();
    renderApp('/costs');

    await user.click(await screen.findByRole('button', { name: 'Load more calls' }));
    const table = screen.getByRole('region', { name: 'Calls table' });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(76));

    await user.selectOptions(screen.getByLabelText('Outcome'), 'rate_limited');
    expect(within(table).getAllByRole('row')).toHaveLength(6);
    expect(screen.getByText('5 of 75 loaded calls match the filters.')).toBeInTheDocument();
    expect(within(table).getAllByRole('row')[1]).toHaveTextContent('429 from provider');

    await user.selectOptions(screen.getByLabelText('Provider'), 'openai');
    expect(screen.queryByRole('region', { name: 'Calls table' })).not.toBeInTheDocument();
    expect(screen.getByText('No loaded call matches the filters.')).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText('Outcome'), '');
    await user.selectOptions(screen.getByLabelText('Model'), 'openai/gpt-4o-mini');
    expect(within(screen.getByRole('region', { name: 'Calls table' })).getAllByRole('row')).toHaveLength(71);
  });

  it('asks the server for one job’s calls, and checks the ID first', async () => {
    const user = userEvent.setup();
    const fetchMock = installCostsBackend();
    fetchMock.on(`GET /api/v1/costs/calls?jobId=${JOB_ID}&limit=50`, () => ({
      status: 200,
      body: { data: page(2, 100, { jobId: JOB_ID }), nextCursor: null },
    }));
    renderApp('/costs');

    await screen.findByRole('region', { name: 'Calls table' });
    await user.type(screen.getByLabelText('Job ID'), 'job-42');
    await user.click(screen.getByRole('button', { name: 'Filter' }));
    expect(screen.getByLabelText('Job ID')).toHaveAccessibleDescription(expect.stringContaining('A job ID is a UUID'));

    await user.clear(screen.getByLabelText('Job ID'));
    await user.type(screen.getByLabelText('Job ID'), JOB_ID);
    await user.click(screen.getByRole('button', { name: 'Filter' }));

    const table = await screen.findByRole('region', { name: 'Calls table' });
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(3));
    expect(within(table).getAllByRole('row')[1]).toHaveTextContent('3f2b8c1e…');
    expect(fetchMock.requests.some((request) => request.path === `/api/v1/costs/calls?jobId=${JOB_ID}&limit=50`)).toBe(true);

    await user.click(screen.getByRole('button', { name: 'Show all jobs' }));
    await waitFor(() => expect(within(screen.getByRole('region', { name: 'Calls table' })).getAllByRole('row')).toHaveLength(51));
  });

  it('exports the rows shown as CSV', async () => {
    const user = userEvent.setup();
    installCostsBackend();
    const blobs: Blob[] = [];
    Object.assign(URL, {
      createObjectURL: jest.fn((blob: Blob) => {
        blobs.push(blob);
        return 'blob:calls';
      }),
      revokeObjectURL: jest.fn(),
    });
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    renderApp('/costs');

    await screen.findByRole('region', { name: 'Calls table' });
    await user.selectOptions(screen.getByLabelText('Model'), 'openai/gpt-4o-mini');
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));

    expect(click).toHaveBeenCalledTimes(1);
    const link = click.mock.contexts[0] as HTMLAnchorElement;
    expect(link.download).toMatch(/^margin-calls-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = await readText(blobs[0]);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(51);
    expect(lines[0]).toBe(
      'id,createdAt,jobId,itemId,operation,provider,model,inputTokens,cachedInputTokens,outputTokens,reasoningTokens,costUsd,latencyMs,outcome,error,routingReason,fallbackFrom,emulated',
    );
    expect(lines[1]).toBe(
      'call-1,2025-03-03T10:00:00.000Z,,,op-1,openai,openai/gpt-4o-mini,120,0,80,0,0.000066,840,success,,policy draft/medium → openai/gpt-4o-mini (cheap),,true',
    );
  });

  it('says when there are no calls yet', async () => {
    const fetchMock = installCostsBackend();
    fetchMock.on('GET /api/v1/costs/calls?limit=50', () => ({ status: 200, body: { data: [], nextCursor: null } }));
    renderApp('/costs');

    expect(await screen.findByText('No calls yet.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Export CSV' })).not.toBeInTheDocument();
  });
});
