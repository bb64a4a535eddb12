// The `npm start` path, from the outside: what a new user sees on first start, the API and the SPA it
// serves, a real login in Chromium, and a clean stop on Ctrl-C.
import { WORKER_HEARTBEAT_PREFIX } from '@margin/contracts';
import Redis from 'ioredis';
import type { Browser } from 'playwright-core';
import { collectPageErrors, launchBrowser, screenshot } from './support/browser';
import { isAlive, startStack, type RunningStack } from './support/stack';

jest.setTimeout(300_000);

describe('npm start', () => {
  let stack: RunningStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    if (stack && stack.process.exitCode === null) await stack.interrupt();
  });

  it('prints the URL and a generated owner login once', () => {
    expect(stack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.ownerEmail).toBe('admin@margin.local');
    expect(stack.ownerPassword.length).toBeGreaterThanOrEqual(16);
    expect(stack.output()).toContain('generated now and shown only this once');
  });

  it('answers /health 200 with Postgres, Redis and a live worker', async () => {
    let body: { status: string; details: Record<string, { status: string; count?: number }> } | undefined;
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${stack.url}/health`);
      expect(res.status).toBe(200);
      body = await res.json();
      if ((body?.details.workers.count ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(body).toMatchObject({ status: 'ok', details: { database: { status: 'up' }, redis: { status: 'up' }, workers: { status: 'up', count: 1 } } });
  });

  it('stands the LLM emulator in for the missing model servers, and says so everywhere', async () => {
    expect(stack.output()).toMatch(/LLM EMULATOR stands in for Ollama, OpenAI and Anthropic/);
    const login = await fetch(`${stack.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: stack.ownerEmail, password: stack.ownerPassword }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const res = await fetch(`${stack.url}/api/v1/router/providers`, { headers: { authorization: `Bearer ${accessToken}` } });
    const providers = (await res.json()) as Array<{ id: string; healthy: boolean; emulated: boolean }>;
    expect(providers.map((p) => [p.id, p.healthy, p.emulated]).sort()).toEqual([
      ['anthropic', true, true],
      ['ollama', true, true],
      ['openai', true, true],
    ]);
    const health = (await (await fetch(`${stack.url}/health`)).json()) as { details: { providers: { providers: Record<string, { emulated: boolean }> } } };
    expect(Object.values(health.details.providers.providers).every((p) => p.emulated)).toBe(true);
  });

  it('serves the OpenAI-compatible gateway to an API key, booked in the ledger', async () => {
    const login = await fetch(`${stack.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: stack.ownerEmail, password: stack.ownerPassword }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const auth = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
    const created = (await (
      await fetch(`${stack.url}/api/v1/api-keys`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'gateway e2e' }) })
    ).json()) as { key: string };
    const completion = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'margin/auto', max_tokens: 30, messages: [{ role: 'user', content: 'Say hello to the choir.' }] }),
    });
    expect(completion.status).toBe(200);
    const body = (await completion.json()) as { model: string; usage: { prompt_tokens: number } };
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    const calls = (await (await fetch(`${stack.url}/api/v1/costs/calls`, { headers: auth })).json()) as {
      data: Array<{ model: string; outcome: string; emulated: boolean }>;
    };
    expect(calls.data[0]).toMatchObject({ model: body.model, outcome: 'success', emulated: true });
  });

  it('serves the admin SPA at / and on deep links, with its assets', async () => {
    for (const route of ['/', '/login', '/api-keys']) {
      const res = await fetch(`${stack.url}${route}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).toContain('<div id="root">');
    }
    const html = await (await fetch(stack.url)).text();
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${stack.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const missing = await fetch(`${stack.url}/api/v1/not-a-route`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404 });
  });

  it('logs in through the page and shows the user; a wrong password shows the server message', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = collectPageErrors(page);
    await page.goto(stack.url);
    await page.waitForURL(/\/login$/);
    await page.getByLabel('Email').fill(stack.ownerEmail);
    await page.getByLabel('Password').fill('definitely-wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Invalid email or password').waitFor();
    await screenshot(page, 'login-error');

    await page.getByLabel('Password').fill(stack.ownerPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const account = page.getByRole('region', { name: 'Signed-in account' });
    await account.getByText(stack.ownerEmail).waitFor();
    expect(await account.textContent()).toMatch(/unlimited/i);
    await screenshot(page, 'dashboard');
    // The 401 from the failed login is expected; nothing else may go wrong.
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
    await page.close();
  });

  it('creates an API key in the page (shown once) that authenticates, and revokes it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = collectPageErrors(page);
    await page.goto(`${stack.url}/login`);
    await page.getByLabel('Email').fill(stack.ownerEmail);
    await page.getByLabel('Password').fill(stack.ownerPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('region', { name: 'Signed-in account' }).waitFor();
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await page.getByLabel('Name').fill('e2e integration');
    await page.getByRole('button', { name: 'Create key' }).click();
    const keyText = await page
      .getByText(/mk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}/)
      .first()
      .textContent();
    const key = /mk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}/.exec(keyText ?? '')?.[0];
    expect(key).toBeDefined();
    await screenshot(page, 'api-key-created');

    const me = await fetch(`${stack.url}/api/v1/auth/me`, { headers: { 'X-API-Key': key! } });
    expect(me.status).toBe(200);

    // The worker records the key's use asynchronously; the list shows it once it has.
    const token = await page.evaluate(() => Object.values(localStorage).find((v) => v.split('.').length === 3) ?? '');
    let lastUsedAt: string | null = null;
    for (let i = 0; i < 40 && !lastUsedAt; i++) {
      const list = await (await fetch(`${stack.url}/api/v1/api-keys`, { headers: { Authorization: `Bearer ${token}` } })).json();
      lastUsedAt = list.find((k: { name: string }) => k.name === 'e2e integration')?.lastUsedAt ?? null;
      if (!lastUsedAt) await new Promise((r) => setTimeout(r, 250));
    }
    expect(lastUsedAt).not.toBeNull();

    await page.getByRole('button', { name: 'I have saved the key' }).click();
    await page
      .getByRole('button', { name: /^Revoke/ })
      .first()
      .click();
    await page.getByRole('button', { name: 'Confirm revoke' }).click();
    await page.getByText('Revoked').first().waitFor();
    await screenshot(page, 'api-key-revoked');
    const after = await fetch(`${stack.url}/api/v1/auth/me`, { headers: { 'X-API-Key': key! } });
    expect(after.status).toBe(401);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stops the API and the worker cleanly on Ctrl-C', async () => {
    const code = await stack.interrupt();
    expect(code).toBe(0);
    expect(stack.output()).toMatch(/\[margin\] stopped/);
    expect(isAlive(stack.pids.api)).toBe(false);
    expect(isAlive(stack.pids.worker)).toBe(false);
    // The worker ran its shutdown hooks (it removes its own heartbeat) rather than being killed.
    const redis = new Redis(stack.redisUrl);
    try {
      expect(await redis.keys(`${WORKER_HEARTBEAT_PREFIX}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
