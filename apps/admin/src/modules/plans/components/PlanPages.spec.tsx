import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ApprovePlanResponse, PlanAccuracyView, RequestPlanView, Role } from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock, type FetchMock, type MockHandler } from '../../../testing/fetchMock';
import { JOB_ID, makeCatalog, makeMe } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';
import type { UpdatePlanRequest } from '../api/plansApi';
import { RUNNING_PLAN_REFRESH_MS } from '../hooks/usePlans';

const PLAN_ID = '3f9c1d2e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const PLAN_PATH = `/api/v1/plans/${PLAN_ID}`;
const SENTENCE = 'Create a blog post about AI safety for tech leads, auto-publish to LinkedIn and our blog, under $0.50';

function makePlan(overrides: Partial<RequestPlanView> = {}): RequestPlanView {
  return {
    id: PLAN_ID,
    status: 'proposed',
    sentence: SENTENCE,
    intake: {
      profile: 'blog-post',
      topic: 'AI safety',
      audience: 'tech leads',
      tone: null,
      keywords: ['alignment', 'governance'],
      budgetUsd: 0.5,
      deadline: null,
      endpointMentions: ['LinkedIn', 'our blog'],
    },
    questions: [],
    profile: 'blog-post@2',
    items: 1,
    steps: [
      {
        step: 'outline',
        operation: 'draft',
        provider: 'ollama',
        model: 'ollama/qwen3:8b',
        reason: 'draft × simple: first candidate',
        pinned: false,
        calls: 1,
        inputTokens: 420,
        outputTokens: 600,
        costUsd: 0,
        worstCaseUsd: 0,
        seconds: 12,
      },
      {
        step: 'write',
        operation: 'draft',
        provider: 'anthropic',
        model: 'anthropic/claude-sonnet-4-5',
        reason: 'draft × complex: first candidate',
        pinned: false,
        calls: 2,
        inputTokens: 1800,
        outputTokens: 2400,
        costUsd: 0.0774,
        worstCaseUsd: 0.1314,
        seconds: 48,
      },
    ],
    costUsd: 0.0774,
    worstCaseUsd: 0.1314,
    seconds: 60,
    cacheHits: 0,
    budgetUsd: 0.5,
    deadline: null,
    fitsBudget: true,
    cheapest: null,
    endpoints: [
      { id: 'endpoint-li', name: 'Company LinkedIn', type: 'linkedin' },
      { id: 'endpoint-blog', name: 'Engineering blog', type: 'wordpress' },
    ],
    jobId: null,
    actual: null,
    createdAt: '2026-12-02T10:00:00.000Z',
    approvedAt: null,
    ...overrides,
  };
}

interface Backend {
  plan: RequestPlanView;
  patch?: (body: UpdatePlanRequest) => RequestPlanView;
  approve?: MockHandler;
  list?: RequestPlanView[];
  accuracy?: PlanAccuracyView;
}

function installPlanBackend(role: Role, backend: Backend): FetchMock {
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role }) }),
    'GET /api/v1/router/models': () => ({ status: 200, body: makeCatalog() }),
    'GET /api/v1/plans/requests?limit=20': () => ({ status: 200, body: backend.list ?? [backend.plan] }),
    'GET /api/v1/plans/accuracy': () => ({ status: 200, body: backend.accuracy ?? { plans: 0, medianCostError: null, medianSecondsError: null } }),
    [`GET ${PLAN_PATH}`]: () => ({ status: 200, body: backend.plan }),
    'POST /api/v1/plans': () => ({ status: 201, body: backend.plan }),
    [`PATCH ${PLAN_PATH}`]: (request) => {
      if (backend.patch) backend.plan = backend.patch(request.body as UpdatePlanRequest);
      return { status: 200, body: backend.plan };
    },
    [`POST ${PLAN_PATH}/approve`]: backend.approve ?? (() => ({ status: 500, body: { statusCode: 500, message: 'No approve in this test' } })),
  });
}

const sent = (mock: FetchMock, method: string, path: string) => mock.requests.filter((r) => r.method === method && r.path === path).map((r) => r.body);

async function openPlan(role: Role, backend: Backend) {
  const mock = installPlanBackend(role, backend);
  renderApp(`/requests/${PLAN_ID}`);
  expect(await screen.findByRole('heading', { level: 1, name: /Plan/ })).toBeInTheDocument();
  return mock;
}

describe('Request plans', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('plans a sentence and shows the steps, totals and budget fit', async () => {
    const user = userEvent.setup();
    const mock = installPlanBackend('member', { plan: makePlan() });
    renderApp('/requests/new');

    expect(await screen.findByRole('link', { name: 'New request' })).toHaveAttribute('href', '/requests/new');
    await user.click(await screen.findByLabelText('Request'));
    await user.paste(SENTENCE);
    await user.click(await screen.findByRole('button', { name: 'Plan' }));

    const steps = await screen.findByRole('region', { name: 'Plan steps' });
    expect(sent(mock, 'POST', '/api/v1/plans')).toEqual([{ request: SENTENCE }]);
    const rows = within(steps).getAllByRole('row');
    // Header, two steps, totals.
    expect(rows).toHaveLength(4);
    expect(within(rows[2]).getByRole('rowheader', { name: 'write' })).toBeInTheDocument();
    expect(within(rows[2]).getByText('draft × complex: first candidate')).toBeInTheDocument();
    expect(within(rows[2]).getByText('1,800 / 2,400')).toBeInTheDocument();
    expect(within(rows[2]).getByText('$0.1314')).toBeInTheDocument();
    expect(within(rows[2]).getByRole('combobox', { name: 'Model for write' })).toHaveDisplayValue('Router’s choice (anthropic/claude-sonnet-4-5)');
    expect(within(rows[3]).getByText('Total')).toBeInTheDocument();
    expect(within(rows[3]).getByText('3')).toBeInTheDocument();
    expect(within(rows[3]).getByText('1 min')).toBeInTheDocument();

    const totals = screen.getByRole('group', { name: 'Plan totals' });
    expect(within(totals).getByText('Cache hits').nextElementSibling).toHaveTextContent('0 of 1');
    expect(screen.getByText(/Fits the budget: \$0\.0774 expected of \$0\.50/)).toBeInTheDocument();
    expect(screen.getByText('Company LinkedIn')).toBeInTheDocument();
    expect(screen.getByText('alignment, governance')).toBeInTheDocument();
  });

  it('asks for the request before planning', async () => {
    const user = userEvent.setup();
    const mock = installPlanBackend('member', { plan: makePlan() });
    renderApp('/requests/new');
    await user.click(await screen.findByRole('button', { name: 'Plan' }));
    expect(screen.getByText('Write the request first.')).toBeInTheDocument();
    expect(sent(mock, 'POST', '/api/v1/plans')).toHaveLength(0);
  });

  it('answers the questions with a PATCH of answers and shows the new plan', async () => {
    const user = userEvent.setup();
    const questions = [
      {
        field: 'endpointIds',
        question: 'Which blog did you mean?',
        options: [
          { value: 'endpoint-blog', label: 'Engineering blog' },
          { value: 'endpoint-news', label: 'Newsroom' },
        ],
      },
      { field: 'tone', question: 'What tone should it have?' },
    ];
    const mock = await openPlan('member', {
      plan: makePlan({ status: 'needs_input', questions }),
      patch: () => makePlan({ intake: { ...makePlan().intake, tone: 'plain' } }),
    });

    const form = screen.getByRole('form', { name: 'Questions' });
    expect(screen.getByRole('button', { name: 'Approve and run' })).toBeDisabled();
    await user.selectOptions(within(form).getByLabelText('Which blog did you mean?'), 'endpoint-blog');
    await user.type(within(form).getByLabelText('What tone should it have?'), 'plain');
    await user.click(within(form).getByRole('button', { name: 'Answer' }));

    await waitFor(() => expect(screen.queryByRole('form', { name: 'Questions' })).not.toBeInTheDocument());
    expect(sent(mock, 'PATCH', PLAN_PATH)).toEqual([{ answers: { endpointIds: 'endpoint-blog', tone: 'plain' } }]);
    expect(screen.getByText('plain')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Approve and run' })).toBeEnabled();
  });

  it('shows why an answer was refused', async () => {
    const user = userEvent.setup();
    const mock = installPlanBackend('member', { plan: makePlan({ status: 'needs_input', questions: [{ field: 'tone', question: 'What tone?' }] }) });
    mock.on(`PATCH ${PLAN_PATH}`, () => ({
      status: 400,
      body: { statusCode: 400, message: ['answers.tone must be shorter than or equal to 100 characters'] },
    }));
    renderApp(`/requests/${PLAN_ID}`);
    await user.click(await screen.findByRole('button', { name: 'Answer' }));
    expect(screen.getByText('Answer at least one question.')).toBeInTheDocument();
    expect(sent(mock, 'PATCH', PLAN_PATH)).toHaveLength(0);
    await user.type(screen.getByLabelText('What tone?'), 'x');
    await user.click(screen.getByRole('button', { name: 'Answer' }));
    expect(await screen.findByText('answers.tone must be shorter than or equal to 100 characters')).toBeInTheDocument();
    // The typed answer stays, to be corrected.
    expect(screen.getByLabelText('What tone?')).toHaveValue('x');
  });

  it('pins a model for a step, and puts it back to the router’s choice, with a PATCH of steps', async () => {
    const user = userEvent.setup();
    const base = makePlan();
    const mock = await openPlan('member', {
      plan: base,
      patch: (body) => {
        const change = body.steps?.[0];
        return {
          ...base,
          steps: base.steps.map((step) =>
            step.step === change?.step
              ? { ...step, model: change.model ?? 'anthropic/claude-sonnet-4-5', pinned: change.model !== null, costUsd: 0.0021 }
              : step,
          ),
          costUsd: change?.model ? 0.0021 : base.costUsd,
        };
      },
    });

    const select = screen.getByRole('combobox', { name: 'Model for write' });
    // The catalog's enabled models are offered, after the router's choice.
    await waitFor(() => expect(within(select).getAllByRole('option')).toHaveLength(4));
    expect(
      within(select)
        .getAllByRole('option')
        .map((option) => option.textContent),
    ).toEqual(['Router’s choice (anthropic/claude-sonnet-4-5)', 'ollama/qwen3:8b', 'openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5']);
    await user.selectOptions(select, 'openai/gpt-4o-mini');
    await waitFor(() => expect(screen.getByRole('combobox', { name: 'Model for write' })).toHaveValue('openai/gpt-4o-mini'));
    expect(screen.getByText('Chosen by hand')).toBeInTheDocument();
    expect(within(screen.getByRole('group', { name: 'Plan totals' })).getByText('$0.0021')).toBeInTheDocument();

    await user.selectOptions(screen.getByRole('combobox', { name: 'Model for write' }), '');
    await waitFor(() => expect(screen.queryByText('Chosen by hand')).not.toBeInTheDocument());
    expect(sent(mock, 'PATCH', PLAN_PATH)).toEqual([{ steps: [{ step: 'write', model: 'openai/gpt-4o-mini' }] }, { steps: [{ step: 'write', model: null }] }]);
  });

  it('offers the cheapest models when the plan is over budget, in one click', async () => {
    const user = userEvent.setup();
    const over = makePlan({
      budgetUsd: 0.05,
      fitsBudget: false,
      cheapest: {
        steps: [
          { step: 'outline', model: 'ollama/qwen3:8b' },
          { step: 'write', model: 'openai/gpt-4o-mini' },
        ],
        costUsd: 0.0021,
      },
    });
    const mock = await openPlan('member', { plan: over, patch: () => makePlan({ budgetUsd: 0.05, costUsd: 0.0021 }) });

    expect(screen.getByText('Over the budget: $0.0774 expected, the budget is $0.05.')).toBeInTheDocument();
    expect(screen.getByText(/The cheapest choice of models costs \$0\.0021: write on openai\/gpt-4o-mini\./)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Use cheapest' }));

    expect(await screen.findByText(/Fits the budget: \$0\.0021 expected of \$0\.05/)).toBeInTheDocument();
    expect(sent(mock, 'PATCH', PLAN_PATH)).toEqual([{ steps: [{ step: 'write', model: 'openai/gpt-4o-mini' }] }]);
  });

  it('changes the budget and the deadline with a PATCH', async () => {
    const user = userEvent.setup();
    const mock = await openPlan('member', {
      plan: makePlan(),
      patch: (body) => ({ ...makePlan(), budgetUsd: body.budgetUsd ?? null, deadline: body.deadline ?? null }),
    });

    const form = screen.getByRole('form', { name: 'Budget and deadline' });
    const save = within(form).getByRole('button', { name: 'Save budget and deadline' });
    expect(save).toBeDisabled();
    const budget = within(form).getByLabelText('Budget (USD)');
    await user.clear(budget);
    await user.type(budget, 'lots');
    await user.click(save);
    expect(within(form).getByText(/Enter an amount in USD/)).toBeInTheDocument();
    expect(sent(mock, 'PATCH', PLAN_PATH)).toHaveLength(0);

    await user.clear(budget);
    await user.type(budget, '0.8');
    await user.type(within(form).getByLabelText('Deadline'), '2026-12-24T18:30');
    await user.click(save);

    await waitFor(() => expect(sent(mock, 'PATCH', PLAN_PATH)).toHaveLength(1));
    expect(sent(mock, 'PATCH', PLAN_PATH)[0]).toEqual({ budgetUsd: 0.8, deadline: new Date(2026, 11, 24, 18, 30).toISOString() });
    expect(await screen.findByText(/Fits the budget: \$0\.0774 expected of \$0\.80/)).toBeInTheDocument();
  });

  it('approves the plan and links the job it became', async () => {
    const user = userEvent.setup();
    const approved = makePlan({ status: 'approved', jobId: JOB_ID, approvedAt: '2026-12-02T10:05:00.000Z' });
    const response: ApprovePlanResponse = {
      plan: approved,
      job: { id: JOB_ID, status: 'queued', totalItems: 1, priority: 'medium', estimate: { costUsd: 0.0774, seconds: 60 } },
    };
    const backend: Backend = { plan: makePlan() };
    backend.approve = () => {
      backend.plan = approved;
      return { status: 201, body: response };
    };
    const mock = await openPlan('member', backend);

    await user.click(screen.getByRole('button', { name: 'Approve and run' }));

    expect(await screen.findByRole('link', { name: 'Open the job' })).toHaveAttribute('href', `/jobs/${JOB_ID}`);
    expect(screen.getByText('Approved: the job is running. This page follows it until it finishes.')).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Approved, running');
    expect(screen.queryByRole('button', { name: 'Approve and run' })).not.toBeInTheDocument();
    // Approved, the plan cannot be changed any more.
    expect(screen.queryByRole('combobox', { name: 'Model for write' })).not.toBeInTheDocument();
    expect(sent(mock, 'POST', `${PLAN_PATH}/approve`)).toHaveLength(1);
  });

  it('follows the approved plan until its job finishes, then shows the estimate against the actual', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
      const approved = makePlan({ status: 'approved', jobId: JOB_ID, approvedAt: '2026-12-02T10:05:00.000Z' });
      const backend: Backend = { plan: makePlan() };
      backend.approve = () => {
        backend.plan = approved;
        return {
          status: 201,
          body: { plan: approved, job: { id: JOB_ID, status: 'queued', totalItems: 1, priority: 'medium', estimate: { costUsd: 0.0774, seconds: 60 } } },
        };
      };
      const mock = await openPlan('member', backend);
      await user.click(screen.getByRole('button', { name: 'Approve and run' }));
      expect(await screen.findByRole('link', { name: 'Open the job' })).toBeInTheDocument();
      const reads = () => sent(mock, 'GET', PLAN_PATH).length;
      const before = reads();

      backend.plan = { ...approved, status: 'completed', actual: { costUsd: 0.07, seconds: 50, costError: -0.096, secondsError: -0.167 } };
      await act(() => jest.advanceTimersByTimeAsync(RUNNING_PLAN_REFRESH_MS));

      expect(await screen.findByRole('heading', { name: 'Estimate vs actual' })).toBeInTheDocument();
      expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Completed');
      expect(screen.getByText('The job finished.')).toBeInTheDocument();
      expect(reads()).toBe(before + 1);
      // Finished, the plan is not read again.
      await act(() => jest.advanceTimersByTimeAsync(RUNNING_PLAN_REFRESH_MS * 2));
      expect(reads()).toBe(before + 1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('shows why the plan cannot run when approving is refused', async () => {
    const user = userEvent.setup();
    await openPlan('member', {
      plan: makePlan(),
      approve: () => ({
        status: 409,
        body: {
          statusCode: 409,
          code: 'plan_over_budget',
          message: 'The plan costs $0.0774, over its budget of $0.05: raise the budget or choose cheaper models.',
        },
      }),
    });

    await user.click(screen.getByRole('button', { name: 'Approve and run' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The plan was not approved.');
    expect(alert).toHaveTextContent('The plan costs $0.0774, over its budget of $0.05: raise the budget or choose cheaper models.');
    expect(screen.queryByRole('link', { name: 'Open the job' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Approve and run' })).toBeEnabled();
  });

  it('compares the estimate with what the finished job cost and took', async () => {
    await openPlan('member', {
      plan: makePlan({ status: 'completed', jobId: JOB_ID, actual: { costUsd: 0.0812, seconds: 75, costError: 0.049, secondsError: 0.25 } }),
    });
    const table = screen.getByRole('region', { name: 'Estimate vs actual table' });
    const [, cost, time] = within(table).getAllByRole('row');
    expect(cost).toHaveTextContent('Cost$0.0774$0.08124.9%');
    expect(time).toHaveTextContent('Time1 min1 min 15 s25%');
    expect(screen.getByRole('link', { name: 'Open the job' })).toHaveAttribute('href', `/jobs/${JOB_ID}`);
  });

  it('lets a viewer read the plan but not change or approve it', async () => {
    await openPlan('viewer', { plan: makePlan({ status: 'needs_input', questions: [{ field: 'tone', question: 'What tone?' }] }) });
    expect(screen.getByText('Viewers can read plans; a member or admin approves them.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Approve and run' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Answer' })).not.toBeInTheDocument();
    expect(screen.getByLabelText('What tone?')).toBeDisabled();
    expect(screen.queryByRole('combobox', { name: 'Model for write' })).not.toBeInTheDocument();
    expect(screen.queryByRole('form', { name: 'Budget and deadline' })).not.toBeInTheDocument();
    expect(screen.getByText('anthropic/claude-sonnet-4-5')).toBeInTheDocument();
  });

  it('says so when the plan does not exist', async () => {
    const mock = installPlanBackend('member', { plan: makePlan() });
    mock.on(`GET ${PLAN_PATH}`, () => ({ status: 404, body: { statusCode: 404, message: 'Plan not found' } }));
    renderApp(`/requests/${PLAN_ID}`);
    expect(await screen.findByRole('heading', { level: 1, name: 'Plan not found' })).toBeInTheDocument();
  });

  it('lists the recent requests with status, cost and estimate accuracy', async () => {
    const done = makePlan({
      id: 'plan-done',
      sentence: 'Summarise the Q3 reviews',
      status: 'completed',
      costUsd: 0.2,
      actual: { costUsd: 0.18, seconds: 30, costError: -0.1, secondsError: 0.05 },
    });
    installPlanBackend('member', {
      plan: makePlan(),
      list: [makePlan({ status: 'needs_input' }), done],
      accuracy: { plans: 12, medianCostError: 0.083, medianSecondsError: -0.2 },
    });
    renderApp('/requests');

    const table = await screen.findByRole('region', { name: 'Requests table' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(within(rows[1]).getByRole('link', { name: SENTENCE })).toHaveAttribute('href', `/requests/${PLAN_ID}`);
    expect(rows[1]).toHaveTextContent('Needs input');
    expect(within(rows[2]).getByRole('link', { name: 'Summarise the Q3 reviews' })).toHaveAttribute('href', '/requests/plan-done');
    expect(rows[2]).toHaveTextContent('Completed');
    expect(rows[2]).toHaveTextContent('$0.20$0.1810%');

    const accuracy = await screen.findByRole('group', { name: 'Estimate accuracy' });
    expect(accuracy).toHaveTextContent('Finished plans12');
    expect(accuracy).toHaveTextContent('Median cost error8.3%');
    expect(accuracy).toHaveTextContent('Median time error20%');
    expect(within(screen.getByRole('main')).getByRole('link', { name: 'New request' })).toHaveAttribute('href', '/requests/new');
  });
});
