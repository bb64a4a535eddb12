import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { JobEstimate, Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock, type MockRequest } from '../../../testing/fetchMock';
import { JOB_ID, makeBlogProfile, makeJob, makeJobItem, makeMe, makeSongProfile } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

const ESTIMATE: JobEstimate = {
  costUsd: 0.001284,
  seconds: 14,
  cacheHits: 2,
  steps: [{ operation: 'analyze', provider: 'openai', model: 'openai/gpt-4o-mini', calls: 4, costUsd: 0.001284 }],
};

function installNewJobBackend(role: Role = 'member') {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/profiles': () => ({ status: 200, body: [makeSongProfile(), makeBlogProfile()] }),
    'POST /api/v1/jobs/estimate': () => ({ status: 200, body: ESTIMATE }),
    'POST /api/v1/jobs': () => ({
      status: 202,
      body: { id: JOB_ID, status: 'queued', totalItems: 6, priority: 'low', estimate: { costUsd: 0.001284, seconds: 14 } },
    }),
    [`GET /api/v1/jobs/${JOB_ID}`]: () => ({ status: 200, body: makeJob({ status: 'queued', completedItems: 0, totalItems: 6 }) }),
    [`GET /api/v1/jobs/${JOB_ID}/items?limit=20`]: () => ({
      status: 200,
      body: { data: [makeJobItem(0, { status: 'queued', result: null, model: null, costUsd: 0 })], nextCursor: null },
    }),
  });
}

// "Song" is not a field name, so title needs mapping by hand; item 2 has no lyrics.
const CSV_WITH_PROBLEMS = [
  'Song,artist,lyrics,notes',
  'Amazing Grace,John Newton,"Amazing grace, how sweet the sound",old',
  'Be Thou My Vision,Irish hymn,Be thou my vision O Lord of my heart,',
  'It Is Well,Horatio Spafford,,missing lyrics',
  'How Great Thou Art,Carl Boberg,O Lord my God when I in awesome wonder,',
  'Abide With Me,Henry Lyte,Abide with me fast falls the eventide,',
  'Come Thou Fount,Robert Robinson,Come thou fount of every blessing,',
].join('\n');

const CSV_FIXED = CSV_WITH_PROBLEMS.replace('It Is Well,Horatio Spafford,,', 'It Is Well,Horatio Spafford,When peace like a river,');

const requestsTo = (requests: MockRequest[], method: string, path: string) => requests.filter((request) => request.method === method && request.path === path);

async function pasteItems(user: ReturnType<typeof userEvent.setup>, text: string) {
  const box = await screen.findByLabelText('Paste CSV or JSON');
  await user.clear(box);
  await user.click(box);
  await user.paste(text);
}

describe('NewJobPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('reads pasted CSV, previews it, maps columns, shows each item’s problems, estimates and submits the mapped items', async () => {
    const user = userEvent.setup();
    const fetchMock = installNewJobBackend();
    renderApp('/jobs/new');

    expect(await screen.findByLabelText('Profile')).toHaveValue('song-analysis');
    await pasteItems(user, CSV_WITH_PROBLEMS);

    // Preview of the first rows, as read.
    const preview = screen.getByRole('region', { name: 'Preview of the first rows' });
    const rows = within(preview).getAllByRole('row');
    expect(rows).toHaveLength(6);
    expect(rows[0]).toHaveTextContent('ItemSongartistlyricsnotesCheck');
    expect(rows[1]).toHaveTextContent('Amazing Grace');
    expect(rows[1]).toHaveTextContent('Amazing grace, how sweet the sound');
    expect(screen.getByText(/CSV with 4 columns and 6 items; the first 5 are shown\./)).toBeInTheDocument();

    // Same-named columns are mapped; "Song" is not title, so title waits for a choice.
    expect(screen.getByLabelText('Column for artist')).toHaveValue('artist');
    expect(screen.getByLabelText('Column for lyrics')).toHaveValue('lyrics');
    expect(screen.getByLabelText('Column for rubric')).toHaveValue('');
    const title = screen.getByLabelText('Column for title');
    expect(title).toHaveValue('');
    expect(title).toHaveAccessibleDescription(expect.stringContaining('title is required: choose the column that holds it.'));
    expect(screen.getByRole('region', { name: 'Estimate' })).toHaveTextContent('once every required field has a column');

    await user.selectOptions(title, 'Song');

    // Now every item is checked against the profile's input schema.
    const problems = screen.getByRole('region', { name: 'Problems in the items' });
    expect(problems).toHaveTextContent('1 problem in 1 item.');
    expect(
      within(problems)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual(['Item 2 (line 4): lyrics is required']);
    expect(within(preview).getAllByRole('row')[3]).toHaveTextContent('lyrics is required');
    expect(within(preview).getAllByRole('row')[1]).toHaveTextContent('OK');
    expect(screen.getByRole('region', { name: 'Estimate' })).toHaveTextContent('once every item is valid');

    // Submitting with problems sends nothing.
    await user.click(screen.getByRole('button', { name: 'Submit job' }));
    expect(screen.getByText('Fix the problems in the items before submitting.')).toBeInTheDocument();
    expect(problems).toHaveFocus();
    expect(requestsTo(fetchMock.requests, 'POST', '/api/v1/jobs')).toHaveLength(0);
    expect(requestsTo(fetchMock.requests, 'POST', '/api/v1/jobs/estimate')).toHaveLength(0);

    await pasteItems(user, CSV_FIXED);
    expect(screen.queryByRole('region', { name: 'Problems in the items' })).not.toBeInTheDocument();
    // The mapping chosen by hand survives new data with the same columns.
    expect(screen.getByLabelText('Column for title')).toHaveValue('Song');

    const estimate = screen.getByRole('region', { name: 'Estimate' });
    await within(estimate).findByText('$0.001284', { selector: 'dd' }, { timeout: 3000 });
    expect(estimate).toHaveTextContent('Estimated time14 s');
    expect(estimate).toHaveTextContent('Cache hits2 of 6');
    expect(within(estimate).getByRole('row', { name: /analyze/ })).toHaveTextContent('openai/gpt-4o-mini');
    const estimates = requestsTo(fetchMock.requests, 'POST', '/api/v1/jobs/estimate');
    expect(estimates).toHaveLength(1);
    expect(estimates[0].body).toEqual({
      profile: 'song-analysis',
      items: expect.arrayContaining([{ title: 'It Is Well', artist: 'Horatio Spafford', lyrics: 'When peace like a river' }]),
    });
    expect((estimates[0].body as { items: unknown[] }).items).toHaveLength(6);

    await user.type(screen.getByLabelText('Job name'), 'Sunday playlist');
    await user.selectOptions(screen.getByLabelText('Priority'), 'low');
    await user.type(screen.getByLabelText('Budget (USD)'), '2.5');
    await user.click(screen.getByRole('button', { name: 'Submit job' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Sunday playlist' })).toBeInTheDocument();
    const [submitted] = requestsTo(fetchMock.requests, 'POST', '/api/v1/jobs');
    expect(submitted.headers).toMatchObject({ Authorization: 'Bearer jwt-for-tests', 'Content-Type': 'application/json' });
    expect(submitted.body).toMatchObject({ profile: 'song-analysis', name: 'Sunday playlist', priority: 'low', budgetUsd: 2.5 });
    const items = (submitted.body as { items: Array<Record<string, unknown>> }).items;
    expect(items).toHaveLength(6);
    // Mapped: "Song" became title, the unmapped "notes" column is not sent.
    expect(items[0]).toEqual({ title: 'Amazing Grace', artist: 'John Newton', lyrics: 'Amazing grace, how sweet the sound' });
  });

  it('reads an uploaded JSON file and maps same-named fields', async () => {
    const user = userEvent.setup();
    const fetchMock = installNewJobBackend();
    renderApp('/jobs/new');

    const songs = [
      { title: 'Nearer, My God, to Thee', artist: 'Sarah Adams', lyrics: 'Nearer my God to thee' },
      { title: 'Holy, Holy, Holy', artist: 'Reginald Heber', lyrics: 'Holy holy holy Lord God almighty', rubric: 'Judge the poetry' },
    ];
    const file = new File([JSON.stringify({ items: songs })], 'hymns.json', { type: 'application/json' });
    await user.upload(await screen.findByLabelText('Upload a CSV or JSON file'), file);

    expect(await screen.findByText('Items are read from the file hymns.json. JSON, 2 items.')).toBeInTheDocument();
    expect(within(screen.getByRole('region', { name: 'Preview of the first rows' })).getAllByRole('row')).toHaveLength(3);
    expect(screen.getByLabelText('Column for rubric')).toHaveValue('rubric');

    const estimate = screen.getByRole('region', { name: 'Estimate' });
    await within(estimate).findByText('$0.001284', { selector: 'dd' }, { timeout: 3000 });
    expect(requestsTo(fetchMock.requests, 'POST', '/api/v1/jobs/estimate')[0].body).toEqual({ profile: 'song-analysis', items: songs });
  });

  it('maps the fields of the profile picked', async () => {
    const user = userEvent.setup();
    installNewJobBackend();
    renderApp('/jobs/new');

    await user.selectOptions(await screen.findByLabelText('Profile'), 'blog-post');
    await pasteItems(user, '[{"topic": "Hymns for Advent", "keywords": ["advent", 3]}]');

    expect(screen.getByLabelText('Column for topic')).toHaveValue('topic');
    expect(screen.getByLabelText('Column for keywords')).toHaveValue('keywords');
    expect(screen.queryByLabelText('Column for title')).not.toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Problems in the items' })).toHaveTextContent('Item 0: every entry of keywords must be a string');
  });

  it('says what is wrong with text it cannot read', async () => {
    const user = userEvent.setup();
    installNewJobBackend();
    renderApp('/jobs/new');

    await pasteItems(user, '[{"title": "unfinished"');
    expect(screen.getByRole('alert')).toHaveTextContent(/The items could not be read\.This is not valid JSON/);
    expect(screen.queryByRole('region', { name: 'Preview of the first rows' })).not.toBeInTheDocument();
  });

  it('shows the server’s reasons when it refuses the job', async () => {
    const user = userEvent.setup();
    const fetchMock = installNewJobBackend();
    fetchMock.on('POST /api/v1/jobs', () => ({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: ['items.0.lyrics must be at most 20000 characters', 'items.1.title is not allowed'],
      },
    }));
    renderApp('/jobs/new');

    await pasteItems(user, 'title,artist,lyrics\nA,B,C\nD,E,F');
    await within(screen.getByRole('region', { name: 'Estimate' })).findByText('$0.001284', { selector: 'dd' }, { timeout: 3000 });
    await user.click(screen.getByRole('button', { name: 'Submit job' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The job was not submitted.');
    expect(
      within(alert)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual(['items.0.lyrics must be at most 20000 characters', 'items.1.title is not allowed']);

    fetchMock.on('POST /api/v1/jobs', () => ({
      status: 429,
      body: { statusCode: 429, error: 'Too Many Requests', message: 'Your plan allows 10 jobs a month.' },
    }));
    await user.click(screen.getByRole('button', { name: 'Submit job' }));
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('Your plan allows 10 jobs a month.'));
    expect(screen.getByRole('heading', { level: 1, name: 'New job' })).toBeInTheDocument();
  });

  it('checks the budget and shows an estimate the server refuses', async () => {
    const user = userEvent.setup();
    const fetchMock = installNewJobBackend();
    fetchMock.on('POST /api/v1/jobs/estimate', () => ({
      status: 403,
      body: { statusCode: 403, error: 'Forbidden', message: 'Your plan does not include premium models.' },
    }));
    renderApp('/jobs/new');

    await pasteItems(user, 'title,artist,lyrics\nA,B,C');
    expect(
      await within(screen.getByRole('region', { name: 'Estimate' })).findByText('Your plan does not include premium models.', {}, { timeout: 3000 }),
    ).toBeInTheDocument();

    await user.type(screen.getByLabelText('Budget (USD)'), 'ten dollars');
    expect(screen.getByLabelText('Budget (USD)')).toHaveAccessibleDescription(expect.stringContaining('Enter an amount in USD'));
    await user.click(screen.getByRole('button', { name: 'Submit job' }));
    expect(screen.getByLabelText('Budget (USD)')).toHaveFocus();
    expect(requestsTo(fetchMock.requests, 'POST', '/api/v1/jobs')).toHaveLength(0);
  });

  it('lets a viewer check items but not submit them', async () => {
    const user = userEvent.setup();
    installNewJobBackend('viewer');
    renderApp('/jobs/new');

    await pasteItems(user, 'title,artist,lyrics\nA,B,C');
    expect(await screen.findByText(/Viewers can check items and estimates/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Submit job' })).not.toBeInTheDocument();
  });
});
