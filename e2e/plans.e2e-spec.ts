// A request in words, planned, answered, approved and published, through the admin SPA in a real browser
// (Debian's Chromium through playwright-core) against the built API, a worker and the LLM emulator.
import type { Browser } from 'playwright-core';
import { collectPageErrors, launchBrowser, screenshot } from './support/browser';
import { startCluster, type Cluster } from './support/cluster';
import { ADMIN_DIST_DIR, buildAdmin, signIn } from './support/admin-pages';

jest.setTimeout(300_000);

const SENTENCE = 'Create a blog post about AI safety for tech leads, auto-publish to LinkedIn and our blog, under $0.50';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('a request planned and run from the SPA', () => {
  let c: Cluster;
  let browser: Browser;
  const owner = () => ({ authorization: `Bearer ${c.owner.token}` });

  beforeAll(async () => {
    buildAdmin();
    const fast = { latencyMs: 50, tokensPerSecond: 5000, parallel: 10, rpm: 0, tpm: 0 };
    const models = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'].map((name) => ({
      name,
      ...fast,
    }));
    c = await startCluster({ workers: 1, emulator: { defaults: fast, models }, env: { ADMIN_DIST_DIR, PUBLIC_URL: 'http://blog.e2e.test' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await c?.stop();
  });

  it('the sentence becomes a plan, its question is answered, it is approved, runs and is published to the blog', async () => {
    const blog = await c.api<{ id: string }>('POST', '/api/v1/endpoints', { type: 'blog', name: 'Our blog' }, owner());
    expect(blog.status).toBe(201);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await signIn(page, c.url, c.owner.email, c.owner.password);
    await page.getByRole('link', { name: 'New request' }).click();
    await page.getByRole('textbox', { name: 'Request' }).fill(SENTENCE);
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    await page.waitForURL(new RegExp(`/requests/${UUID.source}$`));
    const planId = UUID.exec(page.url())?.[0] as string;

    // the plan as a table, and the one thing it cannot decide: LinkedIn is no endpoint of this tenant
    await page.getByRole('heading', { name: /steps/i }).first().waitFor();
    for (const step of ['research', 'outline', 'draft', 'assess', 'refine']) await page.getByRole('cell', { name: step, exact: true }).first().waitFor();
    const question = page.getByLabel(/linkedin/i);
    await question.waitFor();
    await screenshot(page, 'plan-needs-input');
    await question.selectOption('none');
    await page.getByRole('button', { name: 'Answer' }).click();
    await page.getByLabel(/linkedin/i).waitFor({ state: 'detached' });

    const approve = page.getByRole('button', { name: 'Approve and run' });
    await approve.click();
    await page.getByRole('link', { name: 'Open the job' }).waitFor();
    const plan = await c.api<{ status: string; jobId: string; endpoints: Array<{ id: string }> }>('GET', `/api/v1/plans/${planId}`, undefined, owner());
    expect(plan.body).toMatchObject({ endpoints: [{ id: blog.body.id }], jobId: expect.stringMatching(UUID) });

    // the page follows the job to its end and shows the estimate against what it really cost
    await page.getByText('Estimate vs actual').first().waitFor({ timeout: 120_000 });
    await screenshot(page, 'plan-completed');
    const finished = await c.api<{ status: string; actual: { costUsd: number } | null }>('GET', `/api/v1/plans/${planId}`, undefined, owner());
    expect(finished.body.status).toBe('completed');
    expect(finished.body.actual).not.toBeNull();

    // published where the plan said: the post, delivered to the blog
    const until = Date.now() + 60_000;
    let published = false;
    while (!published && Date.now() < until) {
      const posts = await c.api<Array<{ id: string }>>('GET', '/api/v1/posts', undefined, owner());
      const post = posts.body[0];
      if (post) {
        const deliveries = await c.api<Array<{ endpointId: string; status: string }>>('GET', `/api/v1/posts/${post.id}/deliveries`, undefined, owner());
        published = deliveries.body.some((d) => d.endpointId === blog.body.id && d.status === 'published');
      }
      if (!published) await new Promise((r) => setTimeout(r, 500));
    }
    expect(published).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });
});
