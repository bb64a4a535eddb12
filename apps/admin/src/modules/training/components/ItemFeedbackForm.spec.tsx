import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { JOB_ID, makeJob, makeJobItem, makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';
import { makeExample } from '../../../testing/trainingFixtures';

const FEEDBACK_PATH = '/api/v1/items/item-1/feedback';
const ITEM_EXAMPLES = '/api/v1/training/examples?itemId=item-1&limit=20';

function backend(role: Role = 'member', feedback: ReturnType<typeof makeExample>['feedback'] = null) {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    [`GET /api/v1/jobs/${JOB_ID}`]: () => ({ status: 200, body: makeJob() }),
    [`GET /api/v1/jobs/${JOB_ID}/items?limit=20`]: () => ({ status: 200, body: { data: [makeJobItem(0), makeJobItem(1)], nextCursor: null } }),
    [`GET ${ITEM_EXAMPLES}`]: () => ({ status: 200, body: { data: [makeExample(1, { feedback })], nextCursor: null } }),
  });
}

async function openItem(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByRole('button', { name: 'View result for item 1' }));
  return screen.getByRole('dialog', { name: 'Result of item 1' });
}

describe('Feedback from the item dialog', () => {
  // userEvent drives whole forms here: allow for a busy machine.
  jest.setTimeout(15_000);
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('shows the existing feedback and sends a rating, approval, corrected output and comment', async () => {
    const user = userEvent.setup();
    const mock = backend('member', { rating: 3, approved: false, edited: false, comment: 'Too harsh' });
    mock.on(`POST ${FEEDBACK_PATH}`, (request) => ({
      status: 201,
      body: { id: 'f1', itemId: 'item-1', jobId: JOB_ID, ...(request.body as object), step: null, exampleId: null, createdAt: '', updatedAt: '' },
    }));
    renderApp(`/jobs/${JOB_ID}`);
    const dialog = await openItem(user);

    expect(await within(dialog).findByLabelText('Current feedback')).toHaveTextContent('Current feedback: rated 3/5, not approved, “Too harsh”');
    const form = within(dialog).getByRole('form', { name: 'Feedback on this item' });
    expect(within(form).getByLabelText('Rating')).toHaveValue('3');
    expect(within(form).getByLabelText('Comment')).toHaveValue('Too harsh');

    await user.selectOptions(within(form).getByLabelText('Rating'), '5');
    await user.click(within(form).getByLabelText('Approved for training'));
    await user.click(within(form).getByRole('button', { name: 'Start from the current result' }));
    expect(JSON.parse((within(form).getByLabelText('Corrected output (JSON)') as HTMLTextAreaElement).value)).toEqual(makeJobItem(1).result);
    await user.clear(within(form).getByLabelText('Corrected output (JSON)'));
    await user.click(within(form).getByLabelText('Corrected output (JSON)'));
    await user.paste('{"verdict": "rejected", "score": 40}');
    await user.clear(within(form).getByLabelText('Comment'));
    await user.paste('Mentions violence');
    await user.click(within(form).getByRole('button', { name: 'Save feedback' }));

    expect(await within(form).findByText('Feedback saved.')).toBeInTheDocument();
    const post = mock.requests.find((r) => r.method === 'POST');
    expect(post?.path).toBe(FEEDBACK_PATH);
    expect(post?.headers).toMatchObject({ Authorization: 'Bearer jwt-for-tests' });
    expect(post?.body).toEqual({ rating: 5, approved: true, edits: { verdict: 'rejected', score: 40 }, comment: 'Mentions violence' });
    // The stored feedback is read again.
    await waitFor(() => expect(mock.requests.filter((r) => r.path === ITEM_EXAMPLES)).toHaveLength(2));
  });

  it('checks the JSON before sending and shows the API’s 400 messages next to their fields', async () => {
    const user = userEvent.setup();
    const mock = backend();
    mock.on(`POST ${FEEDBACK_PATH}`, () => ({
      status: 400,
      body: {
        statusCode: 400,
        error: 'Bad Request',
        message: ['edits.verdict must be one of approved, needs_review, rejected', 'rating must not be greater than 5', 'The item has no answer yet'],
      },
    }));
    renderApp(`/jobs/${JOB_ID}`);
    const dialog = await openItem(user);
    expect(await within(dialog).findByText('No feedback yet.')).toBeInTheDocument();
    const form = within(dialog).getByRole('form', { name: 'Feedback on this item' });

    await user.click(within(form).getByRole('button', { name: 'Save feedback' }));
    expect(within(form).getByLabelText('Rating')).toHaveAccessibleDescription('Choose a rating from 1 to 5.');
    await user.selectOptions(within(form).getByLabelText('Rating'), '4');
    await user.click(within(form).getByLabelText('Corrected output (JSON)'));
    await user.paste('{"verdict": ');
    await user.click(within(form).getByRole('button', { name: 'Save feedback' }));
    const edits = within(form).getByLabelText('Corrected output (JSON)');
    expect(edits).toHaveAttribute('aria-invalid', 'true');
    expect(edits.getAttribute('aria-describedby')).toContain('-edits-error');
    expect(within(form).getByText(/^The edits are not valid JSON/)).toBeInTheDocument();
    expect(mock.requests.some((r) => r.method === 'POST')).toBe(false);

    await user.clear(edits);
    await user.click(edits);
    await user.paste('{"verdict": "maybe"}');
    await user.click(within(form).getByRole('button', { name: 'Save feedback' }));
    await waitFor(() => expect(edits).toHaveAccessibleDescription(/edits\.verdict must be one of approved, needs_review, rejected$/));
    expect(within(form).getByLabelText('Rating')).toHaveAccessibleDescription('rating must not be greater than 5');
    expect(within(form).getByRole('alert')).toHaveTextContent('Could not save the feedback.The item has no answer yet');
    expect(mock.requests.find((r) => r.method === 'POST')?.body).toEqual({ rating: 4, approved: false, edits: { verdict: 'maybe' } });
  });

  it('shows what was saved for an item answered from the cache (no recorded example carries its feedback)', async () => {
    const user = userEvent.setup();
    const mock = backend();
    mock.on(`GET ${ITEM_EXAMPLES}`, () => ({ status: 200, body: { data: [], nextCursor: null } }));
    mock.on(`POST ${FEEDBACK_PATH}`, () => ({
      status: 201,
      body: {
        id: 'f1',
        itemId: 'item-1',
        jobId: JOB_ID,
        rating: 2,
        approved: false,
        edits: null,
        comment: 'Off',
        step: null,
        exampleId: null,
        createdAt: '',
        updatedAt: '',
      },
    }));
    renderApp(`/jobs/${JOB_ID}`);
    const dialog = await openItem(user);
    expect(await within(dialog).findByText('No feedback yet.')).toBeInTheDocument();
    await user.selectOptions(within(dialog).getByLabelText('Rating'), '2');
    await user.type(within(dialog).getByLabelText('Comment'), 'Off');
    await user.click(within(dialog).getByRole('button', { name: 'Save feedback' }));
    expect(await within(dialog).findByLabelText('Current feedback')).toHaveTextContent('Current feedback: rated 2/5, not approved, “Off”');
  });

  it('shows a viewer the feedback without the form', async () => {
    const user = userEvent.setup();
    backend('viewer', { rating: 4, approved: true, edited: true, comment: null });
    renderApp(`/jobs/${JOB_ID}`);
    const dialog = await openItem(user);
    expect(await within(dialog).findByLabelText('Current feedback')).toHaveTextContent('rated 4/5, approved, answer corrected');
    expect(within(dialog).queryByRole('form', { name: 'Feedback on this item' })).not.toBeInTheDocument();
  });
});
