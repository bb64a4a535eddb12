// Metrics from a running stack (the built API, a worker process and the LLM emulator): both expositions parse
// and pass `promtool check metrics`, and a real Prometheus server scrapes both (`up == 1`) and sees the LLM
// calls just made; an alert fires and resolves; the KPI page draws its charts in Chromium.
import IORedis from 'ioredis';
import type { Browser } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import { ADMIN_DIST_DIR, buildAdmin, signIn } from './support/admin-pages';
import { collectPageErrors, launchBrowser, screenshot } from './support/browser';
import { freePort } from './support/stack';
import { startCluster, type Cluster } from './support/cluster';
import { ensurePrometheus, promtoolCheck, sampleValue, startPrometheus, type RunningPrometheus } from './support/prometheus';

jest.setTimeout(300_000);

const TOKEN = 'e2e-metrics-token-0123456789';

const song = (i: number) => ({ title: `Metrics hymn ${i}`, artist: 'The Scrapers', lyrics: `Verse ${i}: counters rise like morning light\nChorus: ${i}` });

describe('metrics from a running stack', () => {
  let c: Cluster;
  let workerMetricsPort: number;
  let prom: RunningPrometheus | undefined;
  const tools = ensurePrometheus();
  const auth = () => ({ authorization: `Bearer ${c.owner.token}` });

  beforeAll(async () => {
    buildAdmin();
    const fast = { latencyMs: 50, tokensPerSecond: 5000, parallel: 10, rpm: 0, tpm: 0 };
    const models = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'].map((name) => ({
      name,
      ...fast,
    }));
    workerMetricsPort = await freePort();
    c = await startCluster({
      workers: 0,
      emulator: { defaults: fast, models },
      // the alert webhook receiver below runs on loopback
      env: { METRICS_TOKEN: TOKEN, METRICS_INSTANCE: 'e2e', OUTBOUND_ALLOW_LOOPBACK: 'true', ADMIN_DIST_DIR },
    });
    c.env.METRICS_PORT = String(workerMetricsPort);
    c.env.METRICS_INSTANCE = 'e2e-worker-1';
    await c.startWorker();
    // three builds (admin, then api + worker + emulator) on a shared 2-core machine
  }, 600_000);
  afterAll(async () => {
    await prom?.stop();
    await c?.stop();
  });

  const scrape = async (url: string) => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return res.text();
  };

  it('a job runs on the worker; both processes expose parseable metrics that promtool accepts', async () => {
    const job = await c.api<{ id: string }>('POST', '/api/v1/jobs', { profile: 'song-analysis', items: [song(1), song(2), song(1)] }, auth());
    expect(job.status).toBe(202);
    const until = Date.now() + 120_000;
    for (;;) {
      const j = await c.api<{ status: string }>('GET', `/api/v1/jobs/${job.body.id}`, undefined, auth());
      if (['completed', 'completed_with_errors', 'failed'].includes(j.body.status)) break;
      if (Date.now() > until) throw new Error(`job did not finish: ${JSON.stringify(j.body)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await fetch(`${c.url}/metrics`)).status).toBe(401);
    const api = await scrape(`${c.url}/metrics`);
    const worker = await scrape(`http://127.0.0.1:${workerMetricsPort}/metrics`);
    for (const text of [api, worker]) {
      // every non-comment line is `name{labels} value`
      for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEInfNa]+$/);
    }
    const apiLabels = { process: 'api', instance: 'e2e' };
    const workerLabels = { process: 'worker', instance: 'e2e-worker-1' };
    expect(sampleValue(api, 'margin_http_request_duration_seconds_count', { ...apiLabels, method: 'POST', route: '/api/v1/jobs', status: '202' })).toBe(1);
    expect(sampleValue(api, 'margin_queue_jobs', { ...apiLabels, queue: 'analysis', state: 'waiting', priority: 'medium' })).toBe(0);
    expect(sampleValue(worker, 'margin_llm_calls_total', { ...workerLabels, outcome: 'success' })).toBeGreaterThan(0);
    // two distinct songs run the pipeline; the repeated one is answered from the cache
    expect(sampleValue(worker, 'margin_items_total', { ...workerLabels, status: 'completed' })).toBe(3);
    expect(sampleValue(worker, 'margin_cache_lookups_total', { ...workerLabels, result: 'hit' })).toBe(1);
    expect(sampleValue(worker, 'margin_queue_jobs')).toBeUndefined();
    if (!tools) {
      process.stderr.write('promtool not installed and cannot be (not root or no apt-get): skipping promtool check\n');
      return;
    }
    for (const text of [api, worker]) {
      const check = promtoolCheck(tools.promtool, text);
      expect(check).toEqual({ status: 0, output: '' });
    }
  });

  it('a real Prometheus scrapes the API and the worker (up == 1) and sees the LLM calls made', async () => {
    if (!tools) return;
    const apiTarget = new URL(c.url).host;
    prom = await startPrometheus(tools.prometheus, await freePort(), [
      { job: 'margin-api', target: apiTarget, token: TOKEN },
      { job: 'margin-worker', target: `127.0.0.1:${workerMetricsPort}`, token: TOKEN },
    ]);
    type Sample = { metric: Record<string, string>; value: [number, string] };
    const until = Date.now() + 30_000;
    let up: Sample[] = [];
    let calls: Sample[] = [];
    for (;;) {
      up = await prom.query<Sample>('up');
      calls = await prom.query<Sample>('sum by (process) (margin_llm_calls_total{outcome="success"})');
      if (up.length === 2 && up.every((s) => s.value[1] === '1') && calls.length > 0) break;
      if (Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(up.map((s) => [s.metric.job, s.value[1]]).sort()).toEqual([
      ['margin-api', '1'],
      ['margin-worker', '1'],
    ]);
    const workerCalls = calls.find((s) => s.metric.process === 'worker');
    expect(Number(workerCalls?.value[1])).toBeGreaterThan(0);
  });

  it('an alert fires to a signed webhook when a queue passes its threshold, once, and resolves', async () => {
    const hits: Array<{ body: string; signature: string }> = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => (body += b.toString()));
      req.on('end', () => {
        hits.push({ body, signature: String(req.headers['x-margin-signature'] ?? '') });
        res.writeHead(204).end();
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', () => r()));
    const redis = new IORedis(String(c.env.REDIS_URL));
    try {
      // The maintenance queue's own repeatable jobs sit in its delayed set too: the threshold is above them.
      const resting = await redis.zcard('margin:maintenance:delayed');
      const threshold = resting + 2;
      const put = await c.api(
        'PUT',
        '/api/v1/alerts/rules',
        {
          rules: [{ id: 'maintenance-backlog', kind: 'queue_depth', threshold, queue: 'maintenance' }],
          webhook: { url: `http://127.0.0.1:${port}/alerts`, secret: 'e2e-alert-secret-0123456789' },
        },
        auth(),
      );
      expect(put.status).toBe(200);
      // three more jobs parked in the maintenance queue's delayed set: a depth over the threshold
      await redis.zadd('margin:maintenance:delayed', 9e15, 'e2e-1', 9e15, 'e2e-2', 9e15, 'e2e-3');
      const waitFor = async (pred: () => boolean, what: string) => {
        const until = Date.now() + 75_000;
        while (!pred()) {
          if (Date.now() > until) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(hits)}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      };
      await waitFor(() => hits.length >= 1, 'the firing notification');
      const firing = JSON.parse(hits[0]?.body ?? '{}') as { alert?: { value?: number } };
      expect(firing).toMatchObject({ event: 'alert.firing', alert: { rule: 'maintenance-backlog', subject: 'maintenance' } });
      expect(firing.alert?.value).toBeGreaterThan(threshold);
      expect(hits[0]?.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      await redis.zrem('margin:maintenance:delayed', 'e2e-1', 'e2e-2', 'e2e-3');
      await waitFor(() => hits.length >= 2, 'the resolved notification');
      expect(JSON.parse(hits[1]?.body ?? '{}')).toMatchObject({ event: 'alert.resolved', alert: { rule: 'maintenance-backlog', state: 'resolved' } });
      expect(hits).toHaveLength(2);
      const alerts = await c.api<Array<{ rule: string; state: string }>>('GET', '/api/v1/alerts', undefined, auth());
      expect(alerts.body).toEqual([expect.objectContaining({ rule: 'maintenance-backlog', state: 'resolved' })]);
    } finally {
      await redis.zrem('margin:maintenance:delayed', 'e2e-1', 'e2e-2', 'e2e-3');
      redis.disconnect();
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });

  it('the KPI page renders its charts in Chromium, with the savings of the job run above', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser();
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
      const errors = collectPageErrors(page);
      await signIn(page, c.url, c.owner.email, c.owner.password);
      await page.goto(`${c.url}/kpis`);
      const financial = page.getByRole('region', { name: 'Financial' });
      await financial.getByText('Saved').waitFor();
      // the songs ran on a local model for $0: what they saved is the premium counterfactual's price, not $0
      const saved = (await financial.locator('dt:has-text("Saved") + dd').textContent()) ?? '';
      expect(saved).toMatch(/^\$/);
      expect(saved).not.toBe('$0.00');
      for (const title of ['Cost vs savings (USD per day)', 'Items and cache hit rate', 'Revenue vs cost (USD per day)', 'Cost per model vs quality']) {
        const figure = page.getByRole('figure', { name: title });
        // the chart's own surface (the legend's icons are small surfaces too)
        const surface = figure.locator('.recharts-wrapper > svg.recharts-surface');
        await surface.waitFor();
        const box = await surface.boundingBox();
        expect(box?.width).toBeGreaterThan(100);
        expect(box?.height).toBeGreaterThan(100);
      }
      // drawn from the data: the savings line rises off the cost line (the songs cost $0 and saved their premium price),
      // the items bar, and the model × operation the songs ran on
      const costVsSavings = page.getByRole('figure', { name: 'Cost vs savings (USD per day)' });
      await costVsSavings.locator('path.recharts-curve[name="Saved"]').waitFor({ state: 'attached' });
      const savedPath = await costVsSavings.locator('path.recharts-curve[name="Saved"]').getAttribute('d');
      const costPath = await costVsSavings.locator('path.recharts-curve[name="Cost"]').getAttribute('d');
      expect(savedPath).toMatch(/^M/);
      expect(savedPath).not.toBe(costPath);
      await page.getByRole('figure', { name: 'Items and cache hit rate' }).locator('.recharts-bar-rectangle path').first().waitFor();
      await page
        .getByRole('figure', { name: 'Cost per model vs quality' })
        .locator('.recharts-cartesian-axis-tick-value', { hasText: '· analyze' })
        .first()
        .waitFor();
      await screenshot(page, 'metrics-kpi-page');
      expect(errors).toEqual([]);
    } finally {
      await browser?.close();
    }
  });
});
