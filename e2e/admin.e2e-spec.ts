// The admin SPA in a real browser (Debian's Chromium through playwright-core), served by the built API from
// ADMIN_DIST_DIR, against a worker and the LLM emulator: jobs from an uploaded CSV with live progress, results,
// a price change reaching the estimate, and what a member may not touch.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { collectPageErrors, launchBrowser, screenshot } from './support/browser';
import { startCluster, type Cluster } from './support/cluster';
import { ADMIN_DIST_DIR, buildAdmin, isolatedRedis, overflowsHorizontally, signIn, songsCsv, usd, writeTempFile } from './support/admin-pages';

jest.setTimeout(300_000);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const MODEL = 'openai/gpt-4o-mini';
const JOB_NAME = 'E2E morning hymns';

declare global {
  interface Window {
    /** Set before submitting: still there at the end means the page never reloaded. */
    __marginMarker?: string;
    /** Every aria-valuenow the job's progress bar showed. */
    __progressSeen?: string[];
  }
}

describe('admin SPA in the browser', () => {
  let c: Cluster;
  let browser: Browser;
  let jobId = '';
  const member = { email: 'member@e2e.test', password: 'member-e2e-password' };
  const ownerAuth = () => ({ authorization: `Bearer ${c.owner.token}` });

  beforeAll(async () => {
    buildAdmin();
    // Every model answers in ~120 ms with 10 parallel slots (the built-in models have slower defaults), as in
    // jobs.e2e-spec. No worker yet: the job test starts one once the page is watching.
    const fast = { latencyMs: 120, tokensPerSecond: 5000, parallel: 10, rpm: 0, tpm: 0 };
    const models = ['qwen3:8b', 'llama3.1:8b', 'mistral:7b', 'gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4o', 'claude-haiku-4-5', 'claude-sonnet-4-5'].map((name) => ({
      name,
      ...fast,
    }));
    c = await startCluster({
      workers: 0,
      emulator: { defaults: fast, models },
      // Two items at a time: twelve songs take a few waves, so the bar visibly moves.
      env: { ...isolatedRedis(), ADMIN_DIST_DIR, WORKER_CONCURRENCY: '2' },
    });
    // Song analysis (analyze/simple) goes to gpt-4o-mini first, so its price drives the estimate.
    const policy = await c.api(
      'PUT',
      '/api/v1/router/policy',
      { scope: 'tenant', cells: [{ operation: 'analyze', complexity: 'simple', candidates: [MODEL] }] },
      ownerAuth(),
    );
    expect(policy.status).toBe(200);
    const created = await c.api('POST', '/api/v1/users', { ...member, role: 'member' }, ownerAuth());
    expect(created.status).toBe(201);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await c?.stop();
  });

  const newPage = async (viewport = { width: 1280, height: 800 }): Promise<{ page: Page; errors: string[] }> => {
    // A context of its own: no session carries over from another test.
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    return { page, errors: collectPageErrors(page) };
  };

  const estimatedCost = (page: Page) => page.getByRole('group', { name: 'Estimate for these items' }).locator('dt:has-text("Estimated cost") + dd');

  it('an owner creates a job from an uploaded CSV and watches it finish live, then opens a result', async () => {
    const { page, errors } = await newPage();
    await signIn(page, c.url, c.owner.email, c.owner.password);
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await page.getByRole('region', { name: 'Running jobs' }).getByText('No job is running right now.').waitFor();
    await screenshot(page, 'admin-dashboard');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByText('No jobs yet.').waitFor();
    await page.getByRole('link', { name: 'New job' }).click();
    await page.getByRole('heading', { level: 1, name: 'New job' }).waitFor();

    await page.getByLabel('Profile', { exact: true }).selectOption('song-analysis');
    await page.getByLabel('Upload a CSV or JSON file').setInputFiles(writeTempFile('morning-hymns.csv', songsCsv('morning', 12)));

    // Preview of the first rows, the columns mapped by name, and an estimate before anything runs.
    const preview = page.getByRole('region', { name: 'Preview of the first rows' });
    await preview.waitFor();
    const rows = preview.getByRole('row');
    expect(await rows.count()).toBe(6);
    expect(await rows.nth(1).textContent()).toContain('morning hymn 0');
    expect(await rows.nth(1).textContent()).toContain('grace, mercy and peace');
    await page.getByText('Items are read from the file morning-hymns.csv. CSV, 12 items.').waitFor();
    for (const field of ['title', 'artist', 'lyrics']) expect(await page.getByLabel(`Column for ${field}`).inputValue()).toBe(field);
    expect(await page.getByRole('region', { name: 'Problems in the items' }).count()).toBe(0);

    const cost = estimatedCost(page);
    await cost.waitFor();
    expect(usd(await cost.textContent())).toBeGreaterThan(0);
    const estimate = page.getByRole('region', { name: 'Estimate', exact: true });
    expect(await estimate.textContent()).toMatch(/Cache hits0 of 12/);
    expect(await estimate.getByRole('row', { name: /analyze/ }).textContent()).toContain(MODEL);
    await screenshot(page, 'admin-new-job');

    await page.evaluate(() => {
      window.__marginMarker = 'never reloaded';
    });
    const jobReads: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'GET' && new RegExp(`/api/v1/jobs/${UUID.source}$`).test(new URL(request.url()).pathname)) jobReads.push(request.url());
    });

    await page.getByLabel('Job name').fill(JOB_NAME);
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(new RegExp(`/jobs/${UUID.source}$`));
    jobId = page.url().split('/').pop() ?? '';
    await page.getByRole('heading', { level: 1, name: JOB_NAME }).waitFor();

    // Queued with no worker: the bar stands at 0 until one starts, then moves by the progress feed alone.
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    await page.getByText('Live: updates as items finish.').first().waitFor();
    expect(await bar.getAttribute('aria-valuenow')).toBe('0');
    await page.getByText('Waiting for a worker').waitFor();
    await screenshot(page, 'admin-job-queued');
    await page.evaluate(() => {
      const element = document.querySelector('[role="progressbar"][aria-label="Job progress"]');
      const seen: string[] = [element?.getAttribute('aria-valuenow') ?? ''];
      window.__progressSeen = seen;
      if (element)
        new MutationObserver(() => seen.push(element.getAttribute('aria-valuenow') ?? '')).observe(element, {
          attributes: true,
          attributeFilter: ['aria-valuenow'],
        });
    });

    await c.startWorker();
    await page.waitForFunction(
      () => document.querySelector('[role="progressbar"][aria-label="Job progress"]')?.getAttribute('aria-valuenow') === '100',
      undefined,
      { timeout: 120_000 },
    );

    const seen = (await page.evaluate(() => window.__progressSeen ?? [])).map(Number);
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(100);
    // It moved through values in between, as items finished.
    expect(seen.some((value) => value > 0 && value < 100)).toBe(true);
    expect(await page.evaluate(() => window.__marginMarker)).toBe('never reloaded');
    // No polling: the job was read when the page opened and once more when the feed said it had finished.
    expect(jobReads.length).toBeLessThanOrEqual(2);

    const progress = page.getByRole('region', { name: 'Progress' });
    await progress.getByText('Completed', { exact: true }).waitFor();
    await page.waitForFunction(() => {
      const table = document.querySelector('[aria-label="Job items table"]');
      return table !== null && table.querySelectorAll('tbody tr').length === 12 && !/Queued|Running/.test(table.textContent ?? '');
    });
    expect(usd(await progress.locator('dt:has-text("Cost so far") + dd').textContent())).toBeGreaterThan(0);
    await screenshot(page, 'admin-job-detail');

    await page.getByRole('button', { name: 'View result for item 0' }).click();
    const dialog = page.getByRole('dialog', { name: 'Result of item 0' });
    await dialog.waitFor();
    const result = JSON.parse((await dialog.getByLabel('Result JSON of item 0').textContent()) ?? '') as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['summary', 'themes', 'concerns', 'score', 'verdict']));
    expect(await dialog.textContent()).toContain(MODEL);
    await screenshot(page, 'admin-job-result');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`job-${jobId}.csv`);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.split('\n').filter(Boolean)).toHaveLength(13);
    expect(csv.split('\n')[0]).toBe('index,status,cached,cost_usd,model,error,input,result');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs', exact: true }).click();
    const row = page.getByRole('row', { name: new RegExp(JOB_NAME) });
    await row.waitFor();
    expect(await row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(await row.textContent()).toContain('Completed');
    expect(await overflowsHorizontally(page)).toBe(false);
    await screenshot(page, 'admin-jobs');

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a price change on /router shows in the next estimate', async () => {
    const { page, errors } = await newPage();
    await signIn(page, c.url, c.owner.email, c.owner.password);
    // Songs nobody analysed yet: the cache would make them free.
    const songs = writeTempFile('evening-hymns.csv', songsCsv('evening', 6));

    const estimateFor = async (): Promise<number> => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs', exact: true }).click();
      await page.getByRole('link', { name: 'New job' }).click();
      await page.getByLabel('Upload a CSV or JSON file').setInputFiles(songs);
      await estimatedCost(page).waitFor();
      // A cached estimate may show for a moment while the fresh one loads.
      await page.getByText('Cached items cost nothing.').waitFor();
      return usd(await estimatedCost(page).textContent());
    };

    const before = await estimateFor();
    expect(before).toBeGreaterThan(0);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Router', exact: true }).click();
    await page.getByRole('button', { name: `Edit ${MODEL}` }).click();
    const form = page.getByRole('form', { name: `Edit ${MODEL}` });
    const input = form.getByLabel('USD per 1M input tokens');
    const output = form.getByLabel('USD per 1M output tokens');
    const [inputPrice, outputPrice] = [usd(await input.inputValue()), usd(await output.inputValue())];
    await input.fill(String(inputPrice * 100));
    await output.fill(String(outputPrice * 100));
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText(`${MODEL} saved.`).waitFor();
    await screenshot(page, 'admin-router-price-saved');

    // Prices ×100 → the estimate ×100 (the same calls, the same tokens).
    let after = await estimateFor();
    for (let i = 0; i < 50 && after === before; i++) {
      await page.waitForTimeout(100);
      after = usd(await estimatedCost(page).textContent());
    }
    expect(after / before).toBeGreaterThan(90);
    expect(after / before).toBeLessThan(110);
    await screenshot(page, 'admin-new-job-repriced');

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a member sees the jobs but none of the router’s edit controls', async () => {
    const { page, errors } = await newPage();
    await signIn(page, c.url, member.email, member.password);
    await page.getByRole('region', { name: 'Signed-in account' }).getByText('Member', { exact: true }).waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Router', exact: true }).click();
    await page.getByRole('region', { name: 'Model catalog table' }).getByText(MODEL).waitFor();
    expect(await page.getByRole('button', { name: /^Edit/ }).count()).toBe(0);
    await screenshot(page, 'admin-router-member');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('link', { name: JOB_NAME }).waitFor();
    // Members run jobs: the way to a new one is there.
    await page.getByRole('link', { name: 'New job' }).waitFor();
    await screenshot(page, 'admin-jobs-member');

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the job pages fit a narrow window', async () => {
    const { page, errors } = await newPage({ width: 390, height: 844 });
    await signIn(page, c.url, c.owner.email, c.owner.password);

    await page.goto(`${c.url}/jobs`);
    await page.getByRole('link', { name: JOB_NAME }).waitFor();
    expect(await overflowsHorizontally(page)).toBe(false);
    await screenshot(page, 'admin-narrow-jobs');

    await page.goto(`${c.url}/jobs/${jobId}`);
    await page.getByRole('progressbar', { name: 'Job progress' }).waitFor();
    await page.getByRole('region', { name: 'Job items table' }).waitFor();
    expect(await overflowsHorizontally(page)).toBe(false);
    await screenshot(page, 'admin-narrow-job-detail');
    await page.getByRole('button', { name: 'View result for item 1', exact: true }).click();
    await page.getByRole('dialog', { name: 'Result of item 1' }).waitFor();
    expect(await overflowsHorizontally(page)).toBe(false);
    await screenshot(page, 'admin-narrow-job-result');
    await page.keyboard.press('Escape');

    await page.goto(`${c.url}/jobs/new`);
    await page.getByLabel('Upload a CSV or JSON file').setInputFiles(writeTempFile('narrow.csv', songsCsv('narrow', 3)));
    await estimatedCost(page).waitFor();
    expect(await overflowsHorizontally(page)).toBe(false);
    await screenshot(page, 'admin-narrow-new-job');

    expect(errors).toEqual([]);
    await page.context().close();
  });
});
