import type {
  ApiKeyView,
  BudgetView,
  CostSummary,
  DeliveryView,
  EndpointView,
  HealthResponse,
  JobCounters,
  JobItemView,
  JobView,
  LlmCallView,
  MeResponse,
  ModelView,
  PolicyCell,
  PostView,
  ProfileView,
  ProviderView,
  Role,
  RoutingPolicyView,
  UserView,
} from '@margin/contracts';

export function makeMe(overrides: { role?: Role; email?: string; tenantName?: string; isOperator?: boolean } = {}): MeResponse {
  return {
    user: {
      id: 'user-1',
      email: overrides.email ?? 'ada@example.com',
      role: overrides.role ?? 'owner',
      tenantId: 'tenant-1',
      createdAt: '2025-01-10T09:00:00.000Z',
      lastLoginAt: '2025-03-02T08:30:00.000Z',
    },
    tenant: {
      id: 'tenant-1',
      name: overrides.tenantName ?? 'Acme Records',
      plan: 'pro',
      isOperator: overrides.isOperator ?? false,
      createdAt: '2025-01-10T09:00:00.000Z',
    },
    apiKey: null,
    authenticatedVia: 'jwt',
    usage: { periodStart: '2025-03-01T00:00:00.000Z', resetsAt: '2025-04-01T00:00:00.000Z' },
  };
}

export function makeApiKey(overrides: Partial<ApiKeyView> = {}): ApiKeyView {
  return {
    id: 'key-1',
    name: 'CI pipeline',
    prefix: 'mk_ci000001',
    role: 'member',
    createdAt: '2025-02-01T12:00:00.000Z',
    lastUsedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

export function makeModel(overrides: Partial<ModelView> = {}): ModelView {
  const id = overrides.id ?? 'openai/gpt-4o-mini';
  const price = { inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6, effectiveFrom: '2025-01-01T00:00:00.000Z' };
  return {
    id,
    providerId: id.split('/')[0],
    name: id.split('/').slice(1).join('/'),
    tier: 'cheap',
    contextWindow: 128_000,
    capabilities: ['chat', 'json'],
    enabled: true,
    gpuUsdPerHour: null,
    parallelSlots: 1,
    rpm: 500,
    tpm: 200_000,
    maxConcurrency: 50,
    price,
    priceHistory: [price],
    ...overrides,
  };
}

/** A small catalog: a local model, a cheap one and a premium one. */
export function makeCatalog(): ModelView[] {
  const free = { inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: 0, effectiveFrom: '2025-01-01T00:00:00.000Z' };
  const premium = { inputPerMTok: 3, cachedInputPerMTok: 0.3, outputPerMTok: 15, effectiveFrom: '2025-01-01T00:00:00.000Z' };
  return [
    makeModel({ id: 'ollama/qwen3:8b', tier: 'local', contextWindow: 40_960, rpm: null, tpm: null, maxConcurrency: 4, price: free, priceHistory: [free] }),
    makeModel(),
    makeModel({ id: 'anthropic/claude-sonnet-4-5', tier: 'premium', contextWindow: 200_000, price: premium, priceHistory: [premium] }),
  ];
}

export function makeCell(operation: string, complexity: PolicyCell['complexity'], candidates: string[]): PolicyCell {
  return { operation, complexity, candidates, abTest: null };
}

export function makePolicy(overrides: Partial<RoutingPolicyView> = {}): RoutingPolicyView {
  const global = [
    makeCell('draft', 'simple', ['ollama/qwen3:8b', 'openai/gpt-4o-mini']),
    makeCell('draft', 'medium', ['openai/gpt-4o-mini', 'ollama/qwen3:8b']),
    makeCell('draft', 'complex', ['anthropic/claude-sonnet-4-5', 'openai/gpt-4o-mini']),
    makeCell('assess', 'simple', ['ollama/qwen3:8b']),
    makeCell('assess', 'medium', ['openai/gpt-4o-mini']),
    makeCell('assess', 'complex', ['anthropic/claude-sonnet-4-5']),
  ];
  const tenant = overrides.tenant ?? [];
  const effective = global.map((cell) => tenant.find((o) => o.operation === cell.operation && o.complexity === cell.complexity) ?? cell);
  return { global, tenant, effective, ...overrides };
}

export function makeProvider(overrides: Partial<ProviderView> = {}): ProviderView {
  return {
    id: 'openai',
    kind: 'openai',
    name: 'OpenAI',
    baseUrl: 'http://127.0.0.1:11500/v1',
    enabled: true,
    managedBy: 'env',
    hasApiKey: true,
    healthy: true,
    emulated: true,
    latencyMs: 21,
    error: null,
    models: ['gpt-4o-mini', 'gpt-4o'],
    checkedAt: '2025-03-02T08:30:00.000Z',
    ...overrides,
  };
}

export function makeBudget(overrides: Partial<BudgetView> = {}): BudgetView {
  return {
    monthlyLimitUsd: 50,
    alertThresholds: [0.5, 0.8, 1],
    hardStop: false,
    periodStart: '2025-03-01T00:00:00.000Z',
    resetsAt: '2025-04-01T00:00:00.000Z',
    spentUsd: 30,
    reservedUsd: 0,
    alerts: [],
    ...overrides,
  };
}

export function makeSummary(overrides: Partial<CostSummary> = {}): CostSummary {
  return {
    from: '2025-03-01T00:00:00.000Z',
    to: '2025-03-04T12:00:00.000Z',
    totalUsd: 0.000535,
    savedUsd: 0.0021,
    savedByRoutingUsd: 0.0015,
    savedByCacheUsd: 0.0006,
    calls: 3,
    inputTokens: 1200,
    outputTokens: 800,
    rows: [],
    ...overrides,
  };
}

let callSequence = 0;

export function makeCall(overrides: Partial<LlmCallView> = {}): LlmCallView {
  callSequence += 1;
  return {
    id: `call-${callSequence}`,
    jobId: null,
    itemId: null,
    operation: 'draft',
    provider: 'openai',
    model: 'openai/gpt-4o-mini',
    inputTokens: 120,
    cachedInputTokens: 0,
    outputTokens: 80,
    reasoningTokens: 0,
    costUsd: 0.000066,
    latencyMs: 840,
    outcome: 'success',
    error: null,
    routingReason: 'policy draft/medium → openai/gpt-4o-mini (cheap)',
    fallbackFrom: null,
    emulated: true,
    createdAt: '2025-03-03T10:00:00.000Z',
    ...overrides,
  };
}

export function makeUser(overrides: Partial<UserView> = {}): UserView {
  return {
    id: 'user-2',
    email: 'bob@example.com',
    role: 'member',
    tenantId: 'tenant-1',
    createdAt: '2025-02-01T12:00:00.000Z',
    lastLoginAt: null,
    ...overrides,
  };
}

/** GET /health as terminus sends it, with each provider's probe. */
export function makeHealth(providers: Record<string, { healthy: boolean; emulated: boolean }>): HealthResponse {
  const details = {
    database: { status: 'up' as const },
    providers: { status: 'up' as const, healthy: 1, total: 1, providers },
  };
  return { status: 'ok', info: details, error: {}, details };
}

/** The built-in song-analysis profile as GET /profiles lists it (schemas trimmed to what the SPA reads). */
export function makeSongProfile(overrides: Partial<ProfileView> = {}): ProfileView {
  return {
    key: 'song-analysis',
    version: 1,
    name: 'Song analysis',
    description: "Reviews a song's lyrics.",
    inputSchema: {
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 1, maxLength: 300 },
        artist: { type: 'string', minLength: 1, maxLength: 300 },
        lyrics: { type: 'string', minLength: 1, maxLength: 20_000 },
        rubric: { type: 'string', minLength: 1, maxLength: 4_000, description: 'Your own review criteria' },
      },
      required: ['title', 'artist', 'lyrics'],
      additionalProperties: false,
    },
    outputSchema: { type: 'object' },
    steps: [{ name: 'analyze', operation: 'analyze', complexity: 'simple' }],
    cacheScope: 'global',
    builtIn: true,
    ...overrides,
  };
}

export function makeBlogProfile(): ProfileView {
  return makeSongProfile({
    key: 'blog-post',
    name: 'Blog post',
    description: 'Researches, outlines and drafts a post.',
    inputSchema: {
      type: 'object',
      properties: {
        topic: { type: 'string', minLength: 1 },
        keywords: { type: 'array', items: { type: 'string' }, maxItems: 20 },
      },
      required: ['topic'],
    },
    steps: [
      { name: 'research', operation: 'research', complexity: 'simple' },
      { name: 'draft', operation: 'draft', complexity: 'medium' },
    ],
  });
}

export const JOB_ID = '7d0f3a52-1c2b-4e8f-9a6d-0b1c2d3e4f50';

export function makeJob(overrides: Partial<JobView> = {}): JobView {
  return {
    id: JOB_ID,
    name: 'Sunday playlist',
    profile: 'song-analysis',
    profileVersion: 1,
    status: 'running',
    priority: 'high',
    totalItems: 12,
    completedItems: 3,
    failedItems: 0,
    cachedItems: 1,
    cancelledItems: 0,
    costUsd: 0.000321,
    savedUsd: 0.000107,
    budgetUsd: null,
    etaSeconds: 30,
    metadata: null,
    createdAt: '2025-03-03T10:00:00.000Z',
    startedAt: '2025-03-03T10:00:01.000Z',
    finishedAt: null,
    ...overrides,
  };
}

export function makeCounters(overrides: Partial<JobCounters> = {}): JobCounters {
  return {
    jobId: JOB_ID,
    status: 'running',
    total: 12,
    completed: 3,
    failed: 0,
    cached: 1,
    percentage: 25,
    etaSeconds: 30,
    costUsd: 0.000321,
    ...overrides,
  };
}

export function makeJobItem(index: number, overrides: Partial<JobItemView> = {}): JobItemView {
  return {
    id: `item-${index}`,
    index,
    status: 'completed',
    input: { title: `Hymn ${index}`, artist: 'The Singers', lyrics: `Verse ${index}` },
    result: { summary: `A hopeful hymn ${index}.`, themes: ['hope'], concerns: [], score: 90, verdict: 'approved' },
    cached: false,
    costUsd: 0.000107,
    model: 'openai/gpt-4o-mini',
    error: null,
    attempts: 1,
    ...overrides,
  };
}

export const POST_ID = '5b1e9c20-7a3d-4f61-8e2b-9c0d1e2f3a41';

export function makeEndpoint(overrides: Partial<EndpointView> = {}): EndpointView {
  return {
    id: 'endpoint-wp',
    type: 'wordpress',
    name: 'Company blog',
    url: 'https://blog.example.com',
    config: {},
    enabled: true,
    credentialFields: ['username', 'applicationPassword'],
    createdAt: '2025-03-01T09:00:00.000Z',
    updatedAt: '2025-03-01T09:00:00.000Z',
    ...overrides,
  };
}

/** The tenant's own blog, as the API answers it: no URL, public pages and a feed. */
export function makeBlogEndpoint(overrides: Partial<EndpointView> = {}): EndpointView {
  return makeEndpoint({
    id: 'endpoint-blog',
    type: 'blog',
    name: 'Our blog',
    url: null,
    publicUrl: 'http://127.0.0.1:3000/blog/acme-records',
    feedUrl: 'http://127.0.0.1:3000/blog/acme-records/feed.xml',
    credentialFields: [],
    ...overrides,
  });
}

export function makePost(overrides: Partial<PostView> = {}): PostView {
  return {
    id: POST_ID,
    title: 'Ten hymns for spring',
    content: '# Ten hymns\n\nA *short* list.',
    excerpt: 'A short list.',
    slug: 'ten-hymns-for-spring',
    tags: ['music', 'spring'],
    featuredImageUrl: null,
    canonicalUrl: null,
    status: 'draft',
    sourceItemId: null,
    sourceJobId: null,
    conflict: false,
    publishedAt: null,
    createdAt: '2025-03-03T10:00:00.000Z',
    updatedAt: '2025-03-03T11:00:00.000Z',
    ...overrides,
  };
}

export function makeDelivery(overrides: Partial<DeliveryView> = {}): DeliveryView {
  // Built as a variable, not returned as a literal: `engagement` (sync back's numbers) is what the API sends
  // too, whether or not this checkout's DeliveryView declares it yet.
  const delivery = {
    id: 'delivery-1',
    postId: POST_ID,
    endpointId: 'endpoint-wp',
    status: 'pending' as const,
    remoteId: null,
    remoteUrl: null,
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    scheduledAt: null,
    publishedAt: null,
    conflict: null,
    engagement: null,
    updatedAt: '2025-03-03T11:00:00.000Z',
    ...overrides,
  };
  return delivery;
}
