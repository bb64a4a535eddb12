import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { PromotionView, Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';
import { makeArm, makePromotion } from '../../../testing/trainingFixtures';

const APPLIED = makePromotion();
const HELD = makePromotion({ id: 'a0a0a0a0-0000-4000-8000-000000000002', action: 'hold', applied: false, reason: 'Too few judged answers.' });

function backend(role: Role = 'admin', promotions: PromotionView[] = [APPLIED, HELD]) {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/training/ab-report': () => ({
      status: 200,
      body: {
        from: '2026-11-02T00:00:00.000Z',
        to: '2026-12-02T00:00:00.000Z',
        arms: [
          makeArm({ arm: 'challenger', model: 'ollama/qwen3:8b', calls: 40, failures: 1, costUsd: 0, judged: 30, quality: 84.1, rated: 3, rating: 4 }),
          makeArm(),
          makeArm({ complexity: 'complex', model: 'openai/gpt-4o' }),
          makeArm({ complexity: 'complex', arm: 'challenger', model: 'anthropic/claude-sonnet' }),
        ],
      },
    }),
    'GET /api/v1/training/promotions': () => ({ status: 200, body: promotions }),
  });
}

describe('AbTestsPage', () => {
  // userEvent drives whole forms here: allow for a busy machine.
  jest.setTimeout(15_000);
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('shows each split cell’s arms, incumbent first, and the promotion history', async () => {
    const user = userEvent.setup();
    backend();
    renderApp('/');
    await user.click(await screen.findByRole('link', { name: 'A/B tests' }));
    const cell = await screen.findByRole('region', { name: 'Cell analyze × simple' });
    const rows = within(cell).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('Incumbentopenai/gpt-4o-mini2002$0.2186.2 (150)4.25 (12)');
    expect(rows[2]).toHaveTextContent('Challengerollama/qwen3:8b401$0.0084.1 (30)4 (3)');
    expect(screen.getByRole('region', { name: 'Cell analyze × complex' })).toBeInTheDocument();

    const history = screen.getByRole('region', { name: 'Promotion history table' });
    const [, applied, held] = within(history).getAllByRole('row');
    expect(applied).toHaveTextContent('Applied');
    expect(within(applied).getByRole('button', { name: /^Revert/ })).toBeInTheDocument();
    expect(held).toHaveTextContent('Proposed only');
    expect(within(held).queryByRole('button')).not.toBeInTheDocument();
  });

  it('promotes a cell’s challenger and reverts an applied promotion, then reads the report again', async () => {
    const user = userEvent.setup();
    const mock = backend();
    mock.on('POST /api/v1/training/promotions', (request) => ({
      status: 201,
      body: makePromotion({ id: 'a0a0a0a0-0000-4000-8000-000000000003', ...(request.body as object), applied: true }),
    }));
    mock.on(`POST /api/v1/training/promotions/${APPLIED.id}/revert`, () => ({ status: 200, body: { ...APPLIED, revertedAt: '2026-12-01T10:00:00.000Z' } }));
    renderApp('/ab-tests');
    const cell = await screen.findByRole('region', { name: 'Cell analyze × simple' });

    await user.click(within(cell).getByRole('button', { name: 'Check the rule for analyze × simple' }));
    await waitFor(() => expect(mock.requests.filter((r) => r.method === 'POST')).toHaveLength(1));
    expect(mock.requests.find((r) => r.method === 'POST')?.body).toEqual({ operation: 'analyze', complexity: 'simple', apply: false });

    await user.click(within(cell).getByRole('button', { name: 'Promote challenger of analyze × simple' }));
    expect(await within(cell).findByText(/^Promoted ollama\/qwen3:8b over openai\/gpt-4o-mini\./)).toBeInTheDocument();
    const posts = mock.requests.filter((r) => r.method === 'POST');
    expect(posts[1]).toMatchObject({ path: '/api/v1/training/promotions', body: { operation: 'analyze', complexity: 'simple', apply: true } });
    await waitFor(() => expect(mock.requests.filter((r) => r.path === '/api/v1/training/ab-report').length).toBeGreaterThanOrEqual(2));

    mock.on('GET /api/v1/training/promotions', () => ({ status: 200, body: [{ ...APPLIED, revertedAt: '2026-12-01T10:00:00.000Z' }, HELD] }));
    const history = screen.getByRole('region', { name: 'Promotion history table' });
    await user.click(within(history).getByRole('button', { name: 'Revert promotion of ollama/qwen3:8b in analyze × simple' }));
    await waitFor(() => expect(within(history).getAllByRole('row')[1]).toHaveTextContent(/Reverted/));
    expect(within(history).queryByRole('button', { name: /^Revert/ })).not.toBeInTheDocument();
    expect(mock.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([
      '/api/v1/training/promotions',
      '/api/v1/training/promotions',
      `/api/v1/training/promotions/${APPLIED.id}/revert`,
    ]);
  });

  it('says why a revert failed', async () => {
    const user = userEvent.setup();
    const mock = backend();
    mock.on(`POST /api/v1/training/promotions/${APPLIED.id}/revert`, () => ({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'This promotion was reverted already' },
    }));
    renderApp('/ab-tests');
    await user.click(await screen.findByRole('button', { name: /^Revert promotion/ }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not revert the promotion.This promotion was reverted already');
  });

  it('shows members the results without promote or revert', async () => {
    backend('member');
    renderApp('/ab-tests');
    expect(await screen.findByRole('region', { name: 'Cell analyze × simple' })).toBeInTheDocument();
    expect(await screen.findByText('Only admins and owners can promote or revert.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Promote challenger/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Check the rule/ })).not.toBeInTheDocument();
    await screen.findByRole('region', { name: 'Promotion history table' });
    expect(screen.queryByRole('button', { name: /^Revert/ })).not.toBeInTheDocument();
  });
});
