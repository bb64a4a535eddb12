import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { EvalRunView, Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeMe, makeModel } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';
import { makeEvalSet, makeRun, SONG_SET_ID } from '../../../testing/trainingFixtures';

const RUN_A = 'aaaaaaaa-0000-4000-8000-00000000000a';
const RUN_B = 'bbbbbbbb-0000-4000-8000-00000000000b';
const SET_PATH = `/api/v1/training/evals/${SONG_SET_ID}`;

function backend(role: Role = 'member', runs: EvalRunView[] = []) {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/training/evals': () => ({ status: 200, body: [makeEvalSet()] }),
    [`GET ${SET_PATH}/runs`]: () => ({ status: 200, body: runs }),
    'GET /api/v1/router/models': () => ({
      status: 200,
      body: [makeModel({ id: 'ollama/qwen3:8b', tier: 'local' }), makeModel({ id: 'openai/gpt-4o' }), makeModel({ id: 'openai/old', enabled: false })],
    }),
  });
}

async function openSongSet(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByRole('button', { name: 'Runs of songs-50' }));
  return screen.findByRole('region', { name: 'Runs of songs-50' });
}

describe('EvalsPage', () => {
  // userEvent drives whole forms here: allow for a busy machine.
  jest.setTimeout(15_000);
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('lists the built-in song set and starts a run on a catalog model with a judge', async () => {
    const user = userEvent.setup();
    const mock = backend();
    mock.on(`POST ${SET_PATH}/runs`, (request) => {
      const running = makeRun(RUN_A, { status: 'running', ...(request.body as object), totals: { ...makeRun(RUN_A).totals, items: 50, completed: 10 } });
      mock.on(`GET ${SET_PATH}/runs`, () => ({ status: 200, body: [running] }));
      return { status: 201, body: running };
    });
    renderApp('/');
    await user.click(await screen.findByRole('link', { name: 'Evals' }));
    const sets = await screen.findByRole('region', { name: 'Eval sets table' });
    expect(sets).toHaveTextContent('songs-50 Built-in');
    expect(sets).toHaveTextContent('50');

    const panel = await openSongSet(user);
    expect(await within(panel).findByText('No runs yet.')).toBeInTheDocument();
    const form = within(panel).getByRole('form', { name: 'Run songs-50' });
    await user.click(within(form).getByRole('button', { name: 'Start run' }));
    expect(within(form).getByLabelText('Model')).toHaveAccessibleDescription('Choose the model to run the set on.');
    await waitFor(() => expect(within(form).getByLabelText('Model')).toBeEnabled());
    // Disabled catalog models are not offered.
    expect(within(within(form).getByLabelText('Model')).queryByRole('option', { name: /openai\/old/ })).not.toBeInTheDocument();
    await user.selectOptions(within(form).getByLabelText('Model'), 'ollama/qwen3:8b');
    await user.selectOptions(within(form).getByLabelText('Judge model (optional)'), 'openai/gpt-4o');
    await user.click(within(form).getByRole('button', { name: 'Start run' }));

    expect(await within(form).findByText('Run queued on ollama/qwen3:8b.')).toBeInTheDocument();
    expect(mock.requests.find((r) => r.method === 'POST')?.body).toEqual({ model: 'ollama/qwen3:8b', judgeModel: 'openai/gpt-4o' });
    const runs = await within(panel).findByRole('region', { name: 'Runs table' });
    expect(runs).toHaveTextContent('Running');
    expect(within(runs).getByRole('progressbar', { name: 'Progress of the run on ollama/qwen3:8b' })).toHaveAttribute('aria-valuenow', '20');
  });

  it('shows a run’s per-item scores, cost, latency and totals', async () => {
    const user = userEvent.setup();
    const mock = backend('member', [makeRun(RUN_A)]);
    mock.on(`GET ${SET_PATH}/runs/${RUN_A}`, () => ({
      status: 200,
      body: makeRun(RUN_A, {
        items: [
          {
            seq: 1,
            status: 'completed',
            output: {},
            error: null,
            scores: { verdictAgreement: 1, scoreError: 5 },
            quality: 92,
            costUsd: 0.0001,
            latencyMs: 900,
          },
          { seq: 2, status: 'failed', output: null, error: 'The model answered with invalid JSON.', scores: null, quality: null, costUsd: 0, latencyMs: 1500 },
        ],
      }),
    }));
    renderApp('/evals');
    const panel = await openSongSet(user);
    await user.click(await within(panel).findByRole('button', { name: 'View run on ollama/qwen3:8b' }));
    const items = await within(panel).findByRole('region', { name: 'Run items table' });
    const rows = within(items).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('92');
    expect(rows[1]).toHaveTextContent('verdictAgreement 1, scoreError 5');
    expect(rows[1]).toHaveTextContent('$0.0001');
    expect(rows[1]).toHaveTextContent('900 ms');
    expect(rows[2]).toHaveTextContent('The model answered with invalid JSON.');
    expect(panel).toHaveTextContent('Verdict agreement90%');
    expect(panel).toHaveTextContent('Mean latency1,200 ms');
  });

  it('compares two runs side by side with a quality-vs-cost chart', async () => {
    const user = userEvent.setup();
    const a = makeRun(RUN_A);
    const b = makeRun(RUN_B, { model: 'openai/gpt-4o', totals: { ...a.totals, quality: 90.25, costUsd: 0.0123 }, createdAt: '2026-11-23T10:00:00.000Z' });
    const mock = backend('viewer', [b, a]);
    mock.on(`GET ${SET_PATH}/compare?a=${RUN_A}&b=${RUN_B}`, () => ({
      status: 200,
      body: {
        runs: [a, b],
        items: [
          {
            seq: 1,
            a: { status: 'completed', quality: 80, costUsd: 0, latencyMs: 1000, scores: null },
            b: { status: 'completed', quality: 95, costUsd: 0.006, latencyMs: 700, scores: null },
          },
          { seq: 2, a: { status: 'failed', quality: null, costUsd: 0, latencyMs: 1400, scores: null }, b: null },
        ],
      },
    }));
    renderApp('/evals');
    const panel = await openSongSet(user);
    // A viewer reads runs but cannot start one.
    expect(within(panel).queryByRole('form', { name: 'Run songs-50' })).not.toBeInTheDocument();
    const compare = await within(panel).findByRole('form', { name: 'Compare runs' });
    expect(within(compare).getByRole('button', { name: 'Compare' })).toBeDisabled();
    await user.selectOptions(within(compare).getByLabelText('Run A'), RUN_A);
    await user.selectOptions(within(compare).getByLabelText('Run B'), RUN_B);
    await user.click(within(compare).getByRole('button', { name: 'Compare' }));

    expect(await screen.findByRole('region', { name: 'Run A: ollama/qwen3:8b' })).toHaveTextContent('Quality81.5');
    expect(screen.getByRole('region', { name: 'Run B: openai/gpt-4o' })).toHaveTextContent('Quality90.3');
    expect(screen.getByRole('region', { name: 'Run B: openai/gpt-4o' })).toHaveTextContent('$0.0123');
    expect(screen.getByRole('figure', { name: 'Quality vs cost per item' })).toBeInTheDocument();
    const rows = within(screen.getByRole('region', { name: 'Compared items table' })).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('18095');
    expect(rows[2]).toHaveTextContent('2failednot run');
    expect(mock.requests.some((r) => r.path === `${SET_PATH}/compare?a=${RUN_A}&b=${RUN_B}`)).toBe(true);
  });

  it('creates an eval set from pasted JSON items and shows the API’s field errors', async () => {
    const user = userEvent.setup();
    const mock = backend();
    const created = makeEvalSet({ id: 'c0c0c0c0-0000-4000-8000-000000000001', name: 'Hymns', builtIn: false, items: 1 });
    mock.on('POST /api/v1/training/evals', () => ({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: ['profile must be a profile key like song-analysis', 'items.0.input must be an object'] },
    }));
    renderApp('/evals');
    const form = await screen.findByRole('form', { name: 'New eval set' });
    await user.type(within(form).getByLabelText('Name'), 'Hymns');
    await user.click(within(form).getByLabelText('Items (JSON)'));
    await user.paste('[{"title": "no input"}]');
    await user.click(within(form).getByRole('button', { name: 'Create eval set' }));
    expect(within(form).getByLabelText('Items (JSON)')).toHaveAccessibleDescription('Item 1 needs an "input" object.');
    expect(mock.requests.some((r) => r.method === 'POST')).toBe(false);

    await user.clear(within(form).getByLabelText('Items (JSON)'));
    await user.click(within(form).getByLabelText('Items (JSON)'));
    await user.paste('[{"input": {"title": "Amazing grace"}, "expected": {"verdict": "approved"}}]');
    await user.click(within(form).getByRole('button', { name: 'Create eval set' }));
    await waitFor(() => expect(within(form).getByLabelText('Profile')).toHaveAccessibleDescription('profile must be a profile key like song-analysis'));
    expect(within(form).getByLabelText('Items (JSON)')).toHaveAccessibleDescription('items.0.input must be an object');
    expect(mock.requests.find((r) => r.method === 'POST')?.body).toEqual({
      name: 'Hymns',
      profile: 'song-analysis',
      items: [{ input: { title: 'Amazing grace' }, expected: { verdict: 'approved' } }],
    });

    mock.on('POST /api/v1/training/evals', () => ({ status: 201, body: created }));
    mock.on('GET /api/v1/training/evals', () => ({ status: 200, body: [makeEvalSet(), created] }));
    mock.on(`GET /api/v1/training/evals/${created.id}/runs`, () => ({ status: 200, body: [] }));
    await user.click(within(form).getByRole('button', { name: 'Create eval set' }));
    expect(await screen.findByRole('region', { name: 'Runs of Hymns' })).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Eval sets table' })).toHaveTextContent('Hymns');
  });
});
