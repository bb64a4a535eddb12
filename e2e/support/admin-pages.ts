// Helpers for driving the admin SPA in e2e/admin.e2e-spec.ts: building it, signing in, item files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from './stack';

export const ADMIN_DIST_DIR = path.join(ROOT, 'dist/apps/admin');

/** Builds the SPA into dist/apps/admin (through Nx, so an unchanged SPA comes from the cache). */
export function buildAdmin(): void {
  const built = spawnSync(process.execPath, ['scripts/build.mjs', 'admin'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (built.status !== 0) throw new Error(`admin build failed:\n${built.stdout}\n${built.stderr}`);
}

/**
 * A Redis db of the admin test's own, passed to startCluster as an env override: clusters share Redis db 13,
 * so another cluster test running at the same time could otherwise take this test's queued items or flush them.
 */
export function isolatedRedis(): { REDIS_URL: string } {
  const redis = process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
  return { REDIS_URL: Object.assign(new URL(redis), { pathname: '/12' }).toString() };
}

/** Signs in through the login page and waits for the signed-in shell. */
export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('region', { name: 'Signed-in account' }).getByText(email).waitFor();
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV of `count` songs (title, artist, lyrics), distinct per tag so the analysis cache never answers for another test. */
export function songsCsv(tag: string, count: number): string {
  const rows = Array.from({ length: count }, (_, i) => [
    `${tag} hymn ${i}`,
    `The ${tag} Choir`,
    `Verse ${i}: grace, mercy and peace carry us home\nChorus: we sing of hope in the ${tag} light ${i}`,
  ]);
  return `${[['title', 'artist', 'lyrics'], ...rows].map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

/** Writes a file in a fresh temporary directory and returns its path. */
export function writeTempFile(name: string, content: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'margin-admin-e2e-')), name);
  writeFileSync(file, content);
  return file;
}

/** "$0.000535" → 0.000535 */
export function usd(text: string | null): number {
  const value = Number((text ?? '').replace(/[$,\s]/g, ''));
  if (!Number.isFinite(value)) throw new Error(`not an amount: ${text}`);
  return value;
}

/** Whether the page scrolls sideways (a layout that does not fit the window). */
export function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}
