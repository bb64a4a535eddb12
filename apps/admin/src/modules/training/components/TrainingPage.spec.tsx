import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';
import { makeDataset, makeExample } from '../../../testing/trainingFixtures';

const EXAMPLES = '/api/v1/training/examples?limit=25';

function backend(role: Role = 'admin') {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    [`GET ${EXAMPLES}`]: () => ({ status: 200, body: { data: [makeExample(1), makeExample(2)], nextCursor: null } }),
    'GET /api/v1/training/settings': () => ({ status: 200, body: { recordExamples: true, retentionDays: 90 } }),
    'GET /api/v1/training/datasets': () => ({ status: 200, body: [makeDataset()] }),
  });
}

function captureDownloads() {
  const blobs: Blob[] = [];
  Object.assign(URL, {
    createObjectURL: jest.fn((blob: Blob) => {
      blobs.push(blob);
      return 'blob:export';
    }),
    revokeObjectURL: jest.fn(),
  });
  const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
  return { blobs, names: () => click.mock.contexts.map((link) => (link as HTMLAnchorElement).download), click };
}

/** jsdom's Blob has no text(). */
function readBlob(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

describe('TrainingPage', () => {
  // userEvent drives whole forms here: allow for a busy machine.
  jest.setTimeout(15_000);
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('is in the navigation and lists the examples', async () => {
    const user = userEvent.setup();
    backend();
    renderApp('/');
    await user.click(await screen.findByRole('link', { name: 'Training' }));
    const table = await screen.findByRole('region', { name: 'Examples table' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(table).toHaveTextContent('ollama/qwen3:8b');
    expect(screen.getByText('2 examples shown (all of them)')).toBeInTheDocument();
  });

  it('sends the filters in the query once they are applied', async () => {
    const user = userEvent.setup();
    const mock = backend();
    const filtered =
      '/api/v1/training/examples?profile=song-analysis&operation=analyze&model=ollama%2Fqwen3%3A8b&minRating=4&approvedOnly=true&from=2026-11-01T00%3A00%3A00.000Z&to=2026-12-01T00%3A00%3A00.000Z&limit=25';
    mock.on(`GET ${filtered}`, () => ({
      status: 200,
      body: { data: [makeExample(7, { feedback: { rating: 5, approved: true, edited: true, comment: null } })], nextCursor: null },
    }));
    renderApp('/training');
    await screen.findByRole('region', { name: 'Examples table' });

    const form = screen.getByRole('form', { name: 'Filter examples' });
    await user.type(within(form).getByLabelText('Profile'), 'song-analysis');
    await user.type(within(form).getByLabelText('Operation'), 'analyze');
    await user.type(within(form).getByLabelText('Model'), 'ollama/qwen3:8b');
    await user.selectOptions(within(form).getByLabelText('Minimum rating'), '4');
    await user.click(within(form).getByLabelText('Approved only'));
    await user.type(within(form).getByLabelText('From'), '2026-11-01');
    await user.type(within(form).getByLabelText('To (inclusive)'), '2026-11-30');
    // Nothing is asked before the filters are applied.
    expect(mock.requests.some((r) => r.path === filtered)).toBe(false);
    await user.click(within(form).getByRole('button', { name: 'Apply filters' }));

    await waitFor(() => expect(within(screen.getByRole('region', { name: 'Examples table' })).getAllByRole('row')).toHaveLength(2));
    expect(mock.requests.filter((r) => r.path === filtered)).toHaveLength(1);
    expect(screen.getByRole('region', { name: 'Examples table' })).toHaveTextContent('5/5 ✓ (corrected)');

    // A range that ends before it starts is refused before any request.
    await user.clear(within(form).getByLabelText('From'));
    await user.type(within(form).getByLabelText('From'), '2026-12-05');
    const before = mock.requests.length;
    await user.click(within(form).getByRole('button', { name: 'Apply filters' }));
    expect(await within(form).findByRole('alert')).toHaveTextContent('The first day must not be after the last day.');
    expect(mock.requests.length).toBe(before);
  });

  it('loads more with the cursor the API gave and keeps the rows already shown', async () => {
    const user = userEvent.setup();
    const mock = backend();
    mock.on(`GET ${EXAMPLES}`, () => ({ status: 200, body: { data: [makeExample(1), makeExample(2)], nextCursor: 'cur-2' } }));
    mock.on(`GET ${EXAMPLES}&cursor=cur-2`, () => ({ status: 200, body: { data: [makeExample(3)], nextCursor: null } }));
    renderApp('/training');
    const table = await screen.findByRole('region', { name: 'Examples table' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(screen.getByText('2 examples shown')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(within(table).getAllByRole('row')).toHaveLength(4));
    expect(screen.getByText('3 examples shown (all of them)')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
    expect(mock.requests.filter((r) => r.path.startsWith('/api/v1/training/examples')).map((r) => r.path)).toEqual([EXAMPLES, `${EXAMPLES}&cursor=cur-2`]);
  });

  it('shows one example’s messages, output, tokens, cost, latency, quality and feedback', async () => {
    const user = userEvent.setup();
    const mock = backend();
    mock.on(`GET ${EXAMPLES}`, () => ({
      status: 200,
      body: { data: [makeExample(1, { feedback: { rating: 2, approved: false, edited: false, comment: 'Missed the concern' } })], nextCursor: null },
    }));
    renderApp('/training');
    await user.click(await screen.findByRole('button', { name: /^Details of example/ }));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('You review song lyrics.');
    expect(dialog).toHaveTextContent('Lyrics 1');
    expect(within(dialog).getByLabelText('Output').textContent).toBe(JSON.stringify({ verdict: 'approved', score: 90 }, null, 2));
    expect(dialog).toHaveTextContent('120 in · 30 out');
    expect(dialog).toHaveTextContent('$0.000042');
    expect(dialog).toHaveTextContent('850 ms');
    expect(dialog).toHaveTextContent('Quality88');
    expect(dialog).toHaveTextContent('Rated 2/5, not approved: “Missed the concern”');
  });

  it('downloads the export with the filters and options through the session’s token', async () => {
    const user = userEvent.setup();
    const mock = backend();
    const downloads = captureDownloads();
    mock.on('GET /api/v1/training/export?format=anthropic-jsonl&minRating=3&dedupe=true', () => ({ status: 200, text: '{"messages":[]}\n' }));
    mock.on('GET /api/v1/training/export?format=openai-jsonl&minRating=3&dedupe=true&split=0.8&part=train', () => ({ status: 200, text: '{"a":1}\n' }));
    mock.on('GET /api/v1/training/export?format=openai-jsonl&minRating=3&dedupe=true&split=0.8&part=validation', () => ({ status: 200, text: '{"b":1}\n' }));
    mock.on(`GET /api/v1/training/examples?minRating=3&limit=25`, () => ({ status: 200, body: { data: [], nextCursor: null } }));
    renderApp('/training');
    await screen.findByRole('region', { name: 'Examples table' });

    const filters = screen.getByRole('form', { name: 'Filter examples' });
    await user.selectOptions(within(filters).getByLabelText('Minimum rating'), '3');
    await user.click(within(filters).getByRole('button', { name: 'Apply filters' }));
    expect(await screen.findByText('No examples match.')).toBeInTheDocument();

    await user.click(screen.getByLabelText('One example per input (the best rated)'));
    await user.click(screen.getByRole('button', { name: 'Export Anthropic JSONL' }));
    await waitFor(() => expect(downloads.click).toHaveBeenCalledTimes(1));
    expect(downloads.names()).toEqual(['training-anthropic-jsonl.jsonl']);
    expect(await readBlob(downloads.blobs[0])).toBe('{"messages":[]}\n');
    const request = mock.requests.find((r) => r.path.startsWith('/api/v1/training/export'));
    expect(request?.headers).toMatchObject({ Authorization: 'Bearer jwt-for-tests' });

    // With a split: the train and the validation part, each its own file.
    await user.click(screen.getByLabelText('Split into train and validation'));
    await user.clear(screen.getByLabelText('Train share (%)'));
    await user.type(screen.getByLabelText('Train share (%)'), '80');
    await user.click(screen.getByRole('button', { name: 'Export OpenAI JSONL' }));
    await waitFor(() => expect(downloads.click).toHaveBeenCalledTimes(3));
    expect(downloads.names().slice(1)).toEqual(['training-openai-jsonl-train.jsonl', 'training-openai-jsonl-validation.jsonl']);
    expect(screen.getByText('Saved training-openai-jsonl-train.jsonl and training-openai-jsonl-validation.jsonl.')).toBeInTheDocument();

    // A failed export says so.
    mock.on('GET /api/v1/training/export?format=hf-jsonl&minRating=3&dedupe=true&split=0.8&part=train', () => ({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: ['split must not be greater than 0.99'] },
    }));
    await user.click(screen.getByRole('button', { name: 'Export Hugging Face JSONL' }));
    expect(await screen.findByText('Could not export the examples.')).toBeInTheDocument();
    expect(screen.getByText('split must not be greater than 0.99')).toBeInTheDocument();
  });

  it('freezes the filtered examples as a dataset and downloads a dataset', async () => {
    const user = userEvent.setup();
    const mock = backend('member');
    const downloads = captureDownloads();
    mock.on('POST /api/v1/training/datasets', () => ({ status: 201, body: makeDataset({ name: 'good-songs', version: 1, examples: 12 }) }));
    mock.on(`GET /api/v1/training/examples?approvedOnly=true&limit=25`, () => ({ status: 200, body: { data: [makeExample(4)], nextCursor: null } }));
    mock.on(`GET /api/v1/training/datasets/${makeDataset().id}/export`, () => ({ status: 200, text: '{"messages":[]}\n' }));
    renderApp('/training');
    await screen.findByRole('region', { name: 'Examples table' });
    const filters = screen.getByRole('form', { name: 'Filter examples' });
    await user.click(within(filters).getByLabelText('Approved only'));
    await user.click(within(filters).getByRole('button', { name: 'Apply filters' }));

    const freeze = screen.getByRole('form', { name: 'Freeze as dataset' });
    await user.type(within(freeze).getByLabelText('Dataset name'), 'Good Songs');
    await user.click(within(freeze).getByRole('button', { name: 'Freeze as dataset' }));
    expect(within(freeze).getByLabelText('Dataset name')).toHaveAccessibleDescription(/^Lowercase letters/);
    expect(mock.requests.some((r) => r.method === 'POST')).toBe(false);

    await user.clear(within(freeze).getByLabelText('Dataset name'));
    await user.type(within(freeze).getByLabelText('Dataset name'), 'good-songs');
    await user.selectOptions(within(freeze).getByLabelText('Format'), 'hf-jsonl');
    await user.click(within(freeze).getByRole('button', { name: 'Freeze as dataset' }));
    expect(await within(freeze).findByText('Froze good-songs v1: 12 examples.')).toBeInTheDocument();
    expect(mock.requests.find((r) => r.method === 'POST')?.body).toEqual({
      name: 'good-songs',
      format: 'hf-jsonl',
      dedupe: true,
      filters: { approvedOnly: true },
    });

    const datasets = screen.getByRole('region', { name: 'Datasets table' });
    expect(datasets).toHaveTextContent('approvedOnly=true');
    await user.click(within(datasets).getByRole('button', { name: 'Download songs-approved v2' }));
    await waitFor(() => expect(downloads.names()).toEqual(['songs-approved-v2-openai-jsonl.jsonl']));
  });

  it('lets an admin opt out of recording and change the retention; others only read it', async () => {
    const user = userEvent.setup();
    const mock = backend();
    mock.on('PUT /api/v1/training/settings', (request) => ({ status: 200, body: request.body }));
    const view = renderApp('/training');
    const form = await screen.findByRole('form', { name: 'Training settings' });
    await user.click(within(form).getByLabelText('Record calls as training examples'));
    await user.clear(within(form).getByLabelText('Keep examples (days)'));
    await user.type(within(form).getByLabelText('Keep examples (days)'), '0');
    await user.click(within(form).getByRole('button', { name: 'Save settings' }));
    expect(within(form).getByText('A whole number of days from 1 to 3650.')).toBeInTheDocument();
    await user.clear(within(form).getByLabelText('Keep examples (days)'));
    await user.type(within(form).getByLabelText('Keep examples (days)'), '30');
    await user.click(within(form).getByRole('button', { name: 'Save settings' }));
    expect(await within(form).findByText('Settings saved.')).toBeInTheDocument();
    expect(mock.requests.find((r) => r.method === 'PUT')?.body).toEqual({ recordExamples: false, retentionDays: 30 });
    view.unmount();

    backend('viewer');
    renderApp('/training');
    const readOnly = await screen.findByRole('form', { name: 'Training settings' });
    await waitFor(() => expect(within(readOnly).getByLabelText('Record calls as training examples')).toBeDisabled());
    expect(within(readOnly).queryByRole('button', { name: 'Save settings' })).not.toBeInTheDocument();
    expect(screen.queryByRole('form', { name: 'Freeze as dataset' })).not.toBeInTheDocument();
  });
});
