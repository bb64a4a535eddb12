import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Which Margin process a registry belongs to: the `process` label, next to `instance`. */
export type MetricsProcess = 'api' | 'worker';

/** Above this many distinct values a label's new values are counted as "other": a runaway label set cannot blow up a scrape. */
export const MAX_LABEL_VALUES = 200;

/**
 * Keeps one label's value set bounded (model ids and operations come from the catalog and the routing policy,
 * which admins extend): the first MAX_LABEL_VALUES distinct values pass, later ones become "other".
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max = MAX_LABEL_VALUES) {}

  of(value: string | null | undefined): string {
    const v = (value ?? 'none').slice(0, 100) || 'none';
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(v);
    return v;
  }
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const LLM_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
const WAIT_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300];

/**
 * Every metric Margin exposes, on one registry per process. Labels are bounded by design: routes are templates,
 * models and operations come from the catalog and the policy, tenants appear only on the budget gauge (the
 * top BUDGET_TENANTS with a budget); never a per-item, per-user or per-key label, never a secret.
 */
export class MarginMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'margin_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly llmCalls = new Counter({
    name: 'margin_llm_calls_total',
    help: 'LLM provider attempts booked in the ledger, by provider, model, operation and outcome',
    labelNames: ['provider', 'model', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly llmTokens = new Counter({
    name: 'margin_llm_tokens_total',
    help: 'Tokens of booked LLM attempts, by direction (input, cached_input, output, reasoning)',
    labelNames: ['provider', 'model', 'direction'] as const,
    registers: [this.registry],
  });

  readonly llmCost = new Counter({
    name: 'margin_llm_cost_usd_total',
    help: 'Cost in USD of booked LLM attempts (the ledger has the exact figures)',
    labelNames: ['provider', 'model', 'operation'] as const,
    registers: [this.registry],
  });

  readonly llmSaved = new Counter({
    name: 'margin_llm_saved_usd_total',
    help: 'What the premium candidate would have cost minus what was paid, for successful routed calls',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly llmDuration = new Histogram({
    name: 'margin_llm_call_duration_seconds',
    help: 'Latency of LLM provider attempts',
    labelNames: ['provider', 'model', 'outcome'] as const,
    buckets: LLM_BUCKETS,
    registers: [this.registry],
  });

  readonly cacheLookups = new Counter({
    name: 'margin_cache_lookups_total',
    help: 'Items answered from the analysis cache (hit) or by running the pipeline (miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly items = new Counter({
    name: 'margin_items_total',
    help: 'Job items that reached a final status, by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly limiterPasses = new Counter({
    name: 'margin_limiter_acquires_total',
    help: 'Passes through the global rate limiter, by result (acquired, or refused with the refusing limit)',
    labelNames: ['provider', 'model', 'result'] as const,
    registers: [this.registry],
  });

  readonly limiterWait = new Histogram({
    name: 'margin_limiter_wait_seconds',
    help: 'Time spent waiting for the global rate limiter before an attempt',
    labelNames: ['provider', 'model'] as const,
    buckets: WAIT_BUCKETS,
    registers: [this.registry],
  });

  /** Collected on scrape (see ScrapeCollectors). */
  readonly limiterInFlight = new Gauge({
    name: 'margin_limiter_in_flight',
    help: 'Calls holding a concurrency lease of the model, across every process',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly limiterWaiting = new Gauge({
    name: 'margin_limiter_waiting',
    help: 'Callers queued for the model in the global rate limiter, across every process',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly limiterUtilization = new Gauge({
    name: 'margin_limiter_utilization_ratio',
    help: 'Share of the model limit in use now: the largest of in-flight/maxConcurrency and used/rpm (1 = saturated)',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });

  readonly circuitState = new Gauge({
    name: 'margin_circuit_state',
    help: 'Circuit breaker state per model: 1 for the current state, 0 for the others',
    labelNames: ['provider', 'model', 'state'] as const,
    registers: [this.registry],
  });

  readonly queueJobs = new Gauge({
    name: 'margin_queue_jobs',
    help: 'Bull jobs per queue and state; waiting jobs also by priority (other states: priority="any")',
    labelNames: ['queue', 'state', 'priority'] as const,
    registers: [this.registry],
  });

  readonly budgetUtilization = new Gauge({
    name: 'margin_budget_utilization_ratio',
    help: "This month's spend divided by the monthly limit, for the tenants with a budget that used the largest share",
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  readonly collectErrors = new Counter({
    name: 'margin_metrics_collect_errors_total',
    help: 'Scrape-time collectors that failed (their gauges keep their last values)',
    labelNames: ['collector'] as const,
    registers: [this.registry],
  });

  private deploymentGauges(): Array<{ name: string }> {
    return [
      this.limiterInFlight,
      this.limiterWaiting,
      this.limiterUtilization,
      this.circuitState,
      this.queueJobs,
      this.budgetUtilization,
      this.collectErrors,
    ].map((m) => ({ name: (m as unknown as { name: string }).name }));
  }

  readonly providers = new BoundedLabel(50);
  readonly models = new BoundedLabel();
  readonly operations = new BoundedLabel();
  readonly routes = new BoundedLabel(500);

  constructor(process: MetricsProcess, instance: string) {
    // Deployment-wide state is exposed by the API only (see ScrapeCollectors): a worker's copy would count it twice.
    if (process !== 'api') for (const g of this.deploymentGauges()) this.registry.removeSingleMetric(g.name);
    this.registry.setDefaultLabels({ process, instance });
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool check metrics
    // fails on them); nodejs_active_resources{type} and nodejs_active_handles / _requests by type remain.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }
}
