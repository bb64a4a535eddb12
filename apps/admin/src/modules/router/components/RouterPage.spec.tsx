import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type {
  ModelView,
  PolicyCell,
  ProviderView,
  Role,
  RouteDecisionView,
  RoutingPolicyView,
  UpdateModelRequest,
  UpdatePolicyRequest,
} from '@margin/contracts';
import { setAccessToken } from '../../../shared/api/tokenStore';
import { installFetchMock } from '../../../testing/fetchMock';
import { makeCatalog, makeCell, makeMe, makePolicy, makeProvider } from '../../../testing/fixtures';
import { renderApp } from '../../../testing/renderApp';

interface BackendOptions {
  role: Role;
  isOperator?: boolean;
  policy?: RoutingPolicyView;
  providers?: ProviderView[];
}

/** An in-memory router backend: writes show up in the next read, as on the server. */
function installRouterBackend({ role, isOperator = false, policy = makePolicy(), providers = [makeProvider()] }: BackendOptions) {
  let models: ModelView[] = makeCatalog();
  let currentPolicy = policy;
  const admin = role === 'admin' || role === 'owner';
  return installFetchMock({
    'GET /api/v1/auth/me': () => ({ status: 200, body: makeMe({ role, isOperator }) }),
    'GET /api/v1/router/providers': () =>
      admin
        ? { status: 200, body: providers }
        : { status: 403, body: { statusCode: 403, error: 'Forbidden', message: 'This action needs the admin role or higher' } },
    'GET /api/v1/router/models': () => ({ status: 200, body: models }),
    'PUT /api/v1/router/models/openai%2Fgpt-4o-mini': (request) => {
      const body = request.body as UpdateModelRequest;
      models = models.map((model) =>
        model.id === 'openai/gpt-4o-mini'
          ? {
              ...model,
              tier: body.tier ?? model.tier,
              enabled: body.enabled ?? model.enabled,
              price: body.price
                ? {
                    inputPerMTok: body.price.inputPerMTok,
                    cachedInputPerMTok: body.price.cachedInputPerMTok ?? body.price.inputPerMTok,
                    outputPerMTok: body.price.outputPerMTok,
                    effectiveFrom: '2025-03-05T00:00:00.000Z',
                  }
                : model.price,
            }
          : model,
      );
      return { status: 200, body: models.find((model) => model.id === 'openai/gpt-4o-mini') };
    },
    'GET /api/v1/router/policy': () => ({ status: 200, body: currentPolicy }),
    'PUT /api/v1/router/policy': (request) => {
      const { scope, cells } = request.body as UpdatePolicyRequest;
      const same = (a: PolicyCell, b: PolicyCell) => a.operation === b.operation && a.complexity === b.complexity;
      const tenant = scope === 'tenant' ? [...currentPolicy.tenant.filter((c) => !cells.some((n) => same(c, n))), ...cells] : currentPolicy.tenant;
      currentPolicy = makePolicy({ tenant });
      return { status: 200, body: currentPolicy };
    },
  });
}

const decision: RouteDecisionView = {
  operation: 'draft',
  complexity: 'complex',
  chosen: { model: 'openai/gpt-4o-mini', provider: 'openai', tier: 'cheap', estimatedCostUsd: 0.000535 },
  candidates: [{ model: 'openai/gpt-4o-mini', provider: 'openai', tier: 'cheap', estimatedCostUsd: 0.000535 }],
  skipped: [
    {
      model: 'anthropic/claude-sonnet-4-5',
      reason: 'budget',
      detail: 'estimated $0.0184 is over the $0.01 budget',
    },
  ],
  abTest: null,
  reason: 'draft/complex → openai/gpt-4o-mini (cheap), after skipping anthropic/claude-sonnet-4-5 (budget)',
};

describe('RouterPage', () => {
  beforeEach(() => setAccessToken('jwt-for-tests', 3600));

  it('shows the policy as operation rows by complexity columns, each with its candidate chain in order', async () => {
    installRouterBackend({
      role: 'member',
      policy: makePolicy({ tenant: [makeCell('draft', 'medium', ['ollama/qwen3:8b', 'anthropic/claude-sonnet-4-5'])] }),
    });
    renderApp('/router');

    const region = await screen.findByRole('region', { name: 'Routing policy table' });
    const table = within(region).getByRole('table');
    const headers = within(table)
      .getAllByRole('columnheader')
      .map((header) => header.textContent);
    expect(headers).toEqual(['Operation', 'Simple', 'Medium', 'Complex']);

    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((row) => within(row).getByRole('rowheader').textContent)).toEqual(['assess', 'draft']);

    const draftCells = within(rows[1]).getAllByRole('cell');
    const chain = (cell: HTMLElement) =>
      within(cell)
        .getAllByRole('listitem')
        .map((item) => item.textContent);
    expect(chain(draftCells[0])).toEqual(['ollama/qwen3:8b', 'openai/gpt-4o-mini']);
    // The tenant's override is what applies, and it says so.
    expect(chain(draftCells[1])).toEqual(['ollama/qwen3:8b', 'anthropic/claude-sonnet-4-5']);
    expect(draftCells[1]).toHaveTextContent('Tenant override');
    expect(draftCells[2]).not.toHaveTextContent('Tenant override');
    expect(chain(draftCells[2])).toEqual(['anthropic/claude-sonnet-4-5', 'openai/gpt-4o-mini']);
  });

  it('shows a member the catalog and policy read-only, and no provider details', async () => {
    const fetchMock = installRouterBackend({ role: 'member', isOperator: true });
    renderApp('/router');

    const catalog = await screen.findByRole('region', { name: 'Model catalog table' });
    expect(within(catalog).getAllByRole('row')).toHaveLength(4);
    expect(catalog).toHaveTextContent('openai/gpt-4o-mini');
    expect(catalog).toHaveTextContent('$0.075');
    expect(await screen.findByRole('region', { name: 'Routing policy table' })).toBeInTheDocument();

    expect(screen.getByText(/Provider details .* are visible to the operator’s admins only/)).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Providers table' })).not.toBeInTheDocument();
    expect(fetchMock.requests.some((request) => request.path === '/api/v1/router/providers')).toBe(false);

    expect(screen.queryByRole('button', { name: /^Edit/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Edit openai/gpt-4o-mini' })).not.toBeInTheDocument();
    expect(within(catalog).queryByRole('columnheader', { name: 'Actions' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Disable provider/ })).not.toBeInTheDocument();
  });

  it('lets an operator admin change a model’s price and shows the new one', async () => {
    const user = userEvent.setup();
    const fetchMock = installRouterBackend({ role: 'admin', isOperator: true });
    renderApp('/router');

    const catalog = await screen.findByRole('region', { name: 'Model catalog table' });
    for (const id of ['ollama/qwen3:8b', 'openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5']) {
      expect(within(catalog).getByRole('button', { name: `Edit ${id}` })).toBeInTheDocument();
    }
    await user.click(within(catalog).getByRole('button', { name: 'Edit openai/gpt-4o-mini' }));

    const form = screen.getByRole('form', { name: 'Edit openai/gpt-4o-mini' });
    expect(within(form).getByLabelText('Tier')).toHaveFocus();
    const input = within(form).getByLabelText('USD per 1M input tokens');
    expect(input).toHaveValue('0.15');
    await user.clear(input);
    await user.type(input, '0.2');
    await user.clear(within(form).getByLabelText('USD per 1M output tokens'));
    await user.type(within(form).getByLabelText('USD per 1M output tokens'), '0.8');
    await user.click(within(form).getByRole('button', { name: 'Save' }));

    expect(await screen.findByText('openai/gpt-4o-mini saved.')).toBeInTheDocument();
    const put = fetchMock.requests.find((request) => request.method === 'PUT');
    expect(put?.path).toBe('/api/v1/router/models/openai%2Fgpt-4o-mini');
    expect(put?.body).toEqual({ price: { inputPerMTok: 0.2, cachedInputPerMTok: 0.075, outputPerMTok: 0.8 } });

    const row = within(catalog).getByRole('row', { name: /^openai\/gpt-4o-mini/ });
    await waitFor(() => expect(row).toHaveTextContent('$0.20'));
    expect(row).toHaveTextContent('$0.80');
    expect(screen.queryByRole('form', { name: 'Edit openai/gpt-4o-mini' })).not.toBeInTheDocument();
    expect(within(catalog).getByRole('button', { name: 'Edit openai/gpt-4o-mini' })).toHaveFocus();
  });

  it('checks a price before sending it', async () => {
    const user = userEvent.setup();
    const fetchMock = installRouterBackend({ role: 'owner', isOperator: true });
    renderApp('/router');

    await user.click(await screen.findByRole('button', { name: 'Edit openai/gpt-4o-mini' }));
    const form = screen.getByRole('form', { name: 'Edit openai/gpt-4o-mini' });
    await user.clear(within(form).getByLabelText('USD per 1M output tokens'));
    await user.type(within(form).getByLabelText('USD per 1M output tokens'), 'cheap');
    await user.click(within(form).getByRole('button', { name: 'Save' }));

    expect(within(form).getByLabelText('USD per 1M output tokens')).toHaveAccessibleDescription(expect.stringContaining('must be a number'));
    expect(fetchMock.requests.some((request) => request.method === 'PUT')).toBe(false);
  });

  it('an admin of another tenant sees no provider details (the installation’s hosts are the operator’s), but may override the policy', async () => {
    const fetchMock = installRouterBackend({ role: 'admin', isOperator: false });
    renderApp('/router');

    await screen.findByRole('region', { name: 'Model catalog table' });
    expect(screen.getByText(/Provider details .* are visible to the operator’s admins only/)).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Providers table' })).not.toBeInTheDocument();
    expect(fetchMock.requests.some((request) => request.path === '/api/v1/router/providers')).toBe(false);
    expect(screen.queryByRole('button', { name: /^Edit (ollama|openai|anthropic)\// })).not.toBeInTheDocument();
    // Admins may still override the policy for their own tenant.
    expect(screen.getAllByRole('button', { name: /^Edit (draft|assess), / })).toHaveLength(6);
  });

  it('shows the providers to an operator admin', async () => {
    installRouterBackend({
      role: 'admin',
      isOperator: true,
      providers: [makeProvider(), makeProvider({ id: 'ollama', kind: 'ollama', name: 'Ollama', healthy: false, emulated: false })],
    });
    renderApp('/router');

    const providers = await screen.findByRole('region', { name: 'Providers table' });
    const rows = within(providers).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('OpenAI');
    expect(rows[1]).toHaveTextContent('http://127.0.0.1:11500/v1');
    expect(rows[1]).toHaveTextContent('Healthy');
    expect(rows[1]).toHaveTextContent('Emulated');
    expect(rows[2]).toHaveTextContent('Unhealthy');
    expect(rows[2]).not.toHaveTextContent('Emulated');
  });

  it('lets an operator admin disable a provider', async () => {
    const user = userEvent.setup();
    const fetchMock = installRouterBackend({ role: 'owner', isOperator: true });
    fetchMock.on('PATCH /api/v1/router/providers/openai', () => ({ status: 200, body: makeProvider({ enabled: false }) }));
    renderApp('/router');

    await user.click(await screen.findByRole('button', { name: 'Disable provider openai' }));
    expect(await screen.findByText('OpenAI disabled.')).toBeInTheDocument();
    expect(fetchMock.requests.find((request) => request.method === 'PATCH')?.body).toEqual({ enabled: false });
  });

  it('lets an operator admin re-point a provider, checking the URL first', async () => {
    const user = userEvent.setup();
    const fetchMock = installRouterBackend({ role: 'admin', isOperator: true });
    fetchMock.on('PATCH /api/v1/router/providers/openai', () => ({
      status: 200,
      body: makeProvider({ baseUrl: 'https://api.openai.com/v1', managedBy: 'admin' }),
    }));
    renderApp('/router');

    await user.click(await screen.findByRole('button', { name: 'Edit provider openai' }));
    const form = screen.getByRole('form', { name: 'Edit provider openai' });
    expect(within(form).getByLabelText('Display name')).toHaveFocus();
    const url = within(form).getByLabelText('Base URL');
    await user.clear(url);
    await user.type(url, 'api.openai.com');
    await user.click(within(form).getByRole('button', { name: 'Save' }));
    expect(url).toHaveAccessibleDescription('Enter a full http:// or https:// URL.');
    expect(fetchMock.requests.some((request) => request.method === 'PATCH')).toBe(false);

    await user.clear(url);
    await user.type(url, 'https://api.openai.com/v1');
    await user.type(within(form).getByLabelText('New API key'), 'sk-new');
    await user.click(within(form).getByRole('button', { name: 'Save' }));

    expect(await screen.findByText('OpenAI saved.')).toBeInTheDocument();
    expect(fetchMock.requests.find((request) => request.method === 'PATCH')?.body).toEqual({
      baseUrl: 'https://api.openai.com/v1',
      apiKey: 'sk-new',
    });
  });

  it('saves an admin’s reordered chain as a tenant override', async () => {
    const user = userEvent.setup();
    const fetchMock = installRouterBackend({ role: 'admin' });
    renderApp('/router');

    await user.click(await screen.findByRole('button', { name: 'Edit draft, medium' }));
    const form = screen.getByRole('form', { name: 'Routing for draft, medium' });
    // Not the operator: no choice of scope.
    expect(within(form).queryByLabelText('Scope')).not.toBeInTheDocument();
    await user.click(within(form).getByRole('button', { name: 'Move ollama/qwen3:8b up' }));
    await user.selectOptions(within(form).getByLabelText('Add a model'), 'anthropic/claude-sonnet-4-5');
    await user.click(within(form).getByRole('button', { name: 'Add' }));
    expect(
      within(form)
        .getAllByRole('listitem')
        .map((item) => within(item).getByText(/\//, { selector: 'code' }).textContent),
    ).toEqual(['ollama/qwen3:8b', 'openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5']);
    await user.click(within(form).getByRole('button', { name: 'Save routing' }));

    await waitFor(() => expect(screen.queryByRole('form', { name: 'Routing for draft, medium' })).not.toBeInTheDocument());
    expect(fetchMock.requests.find((request) => request.method === 'PUT')?.body).toEqual({
      scope: 'tenant',
      cells: [
        {
          operation: 'draft',
          complexity: 'medium',
          candidates: ['ollama/qwen3:8b', 'openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5'],
          abTest: null,
        },
      ],
    });
    const draftRow = within(screen.getByRole('region', { name: 'Routing policy table' })).getByRole('row', { name: /^draft/ });
    expect(within(draftRow).getAllByRole('cell')[1]).toHaveTextContent('Tenant override');
    expect(screen.getByRole('button', { name: 'Edit draft, medium' })).toHaveFocus();
  });

  it('offers the operator’s admins the global scope and shows the server’s refusal', async () => {
    const user = userEvent.setup();
    const fetchMock = installRouterBackend({ role: 'owner', isOperator: true });
    fetchMock.on('PUT /api/v1/router/policy', () => ({
      status: 422,
      body: { statusCode: 422, error: 'Unprocessable Entity', message: 'cells.0: unknown model "x/y"' },
    }));
    renderApp('/router');

    await user.click(await screen.findByRole('button', { name: 'Edit assess, simple' }));
    const form = screen.getByRole('form', { name: 'Routing for assess, simple' });
    await user.selectOptions(within(form).getByLabelText('Scope'), 'global');
    await user.click(within(form).getByRole('button', { name: 'Save routing' }));

    expect(await within(form).findByRole('alert')).toHaveTextContent('unknown model "x/y"');
    expect(fetchMock.requests.find((request) => request.method === 'PUT')?.body).toMatchObject({ scope: 'global' });
  });

  it('asks the router what it would pick and shows the choice and the skipped candidates', async () => {
    const user = userEvent.setup();
    const fetchMock = installRouterBackend({ role: 'viewer' });
    fetchMock.on('POST /api/v1/router/route', () => ({ status: 200, body: decision }));
    renderApp('/router');

    const form = await screen.findByRole('form', { name: 'What would you route?' });
    await waitFor(() => expect(within(form).getByLabelText('Operation')).toHaveValue('draft'));
    await user.selectOptions(within(form).getByLabelText('Complexity'), 'complex');
    await user.clear(within(form).getByLabelText('Input tokens'));
    await user.type(within(form).getByLabelText('Input tokens'), '5000');
    await user.type(within(form).getByLabelText('Call budget (USD)'), '0.01');
    await user.click(within(form).getByRole('button', { name: 'Test route' }));

    const result = await screen.findByRole('region', { name: 'Routing decision' });
    expect(fetchMock.requests.find((request) => request.method === 'POST')?.body).toEqual({
      operation: 'draft',
      complexity: 'complex',
      inputTokens: 5000,
      maxTokens: 1024,
      budgetUsd: 0.01,
    });
    expect(result).toHaveTextContent('Chosen');
    expect(result).toHaveTextContent('openai/gpt-4o-mini');
    expect(result).toHaveTextContent('$0.000535');
    const skipped = within(result).getByRole('table', { name: 'Skipped candidates' });
    const row = within(skipped).getByRole('row', { name: /claude-sonnet/ });
    expect(row).toHaveTextContent('Over budget');
    expect(row).toHaveTextContent('over the $0.01 budget');
    expect(result).toHaveTextContent(decision.reason);
  });

  it('says so when no model can take the call', async () => {
    const user = userEvent.setup();
    const fetchMock = installRouterBackend({ role: 'member' });
    fetchMock.on('POST /api/v1/router/route', () => ({
      status: 200,
      body: {
        ...decision,
        chosen: null,
        candidates: [],
        skipped: [{ model: 'openai/gpt-4o-mini', reason: 'context-window', detail: 'needs 201000 tokens, window is 128000' }],
        reason: 'no candidate can take this call',
      },
    }));
    renderApp('/router');

    const form = await screen.findByRole('form', { name: 'What would you route?' });
    await user.click(within(form).getByRole('button', { name: 'Test route' }));

    const result = await screen.findByRole('region', { name: 'Routing decision' });
    expect(result).toHaveTextContent('No model can take this call');
    expect(result).not.toHaveTextContent('Chosen');
    expect(within(result).getByRole('table', { name: 'Skipped candidates' })).toHaveTextContent('Context window too small');
  });

  it('checks the tester’s numbers before asking', async () => {
    const user = userEvent.setup();
    const fetchMock = installRouterBackend({ role: 'member' });
    renderApp('/router');

    const form = await screen.findByRole('form', { name: 'What would you route?' });
    await user.clear(within(form).getByLabelText('Max output tokens'));
    await user.type(within(form).getByLabelText('Max output tokens'), '0');
    await user.click(within(form).getByRole('button', { name: 'Test route' }));

    expect(within(form).getByText('Enter a whole number from 1 to 1,000,000.')).toBeInTheDocument();
    expect(fetchMock.requests.some((request) => request.method === 'POST')).toBe(false);
  });
});
