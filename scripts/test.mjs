// `npm test`: every tier (lint + typecheck, unit, integration, e2e) with the same self-set-up as `npm start`.
// Ends with one line "N passed, N failed", summed over the tiers; exits non-zero on any failure.
// `npm test -- unit int` runs only the named tiers.
import { ensureDependencies, ROOT, say } from './lib/deps.mjs';

ensureDependencies();

const { spawnSync } = await import('node:child_process');
const { existsSync, mkdirSync, readFileSync, rmSync } = await import('node:fs');
const path = (await import('node:path')).default;
const { prepareEnvironment } = await import('./lib/stack.mjs');
const { databaseUrlFor } = await import('./lib/env.mjs');
const { ensureDatabase } = await import('./lib/services.mjs');

const ALL = ['lint', 'unit', 'int', 'e2e'];
const wanted = process.argv.slice(2).filter((a) => ALL.includes(a));
const tiers = wanted.length ? wanted : ALL;
const OUT = path.join(ROOT, 'tmp', 'test-reports');
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const env = await prepareEnvironment();
const redisBase = new URL(env.REDIS_URL);
const redisDb = (n) => Object.assign(new URL(redisBase), { pathname: `/${n}` }).toString();
const testEnv = {
  ...env,
  NODE_ENV: 'test',
  // Pre-set values win, so that several checkouts on one machine can test side by side.
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL || databaseUrlFor(env.DATABASE_URL, 'margin_test'),
  TEST_REDIS_URL: process.env.TEST_REDIS_URL || redisDb(15),
  E2E_DATABASE_URL: process.env.E2E_DATABASE_URL || databaseUrlFor(env.DATABASE_URL, 'margin_e2e'),
  E2E_REDIS_URL: process.env.E2E_REDIS_URL || redisDb(14),
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
};
await ensureDatabase(testEnv.TEST_DATABASE_URL);

function ensureChromium() {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(chromium)) return;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0) {
    say('installing Chromium for the browser tests (apt-get install -y chromium)…');
    const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const ok = spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env: aptEnv }).status === 0;
    if (!ok) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit', env: aptEnv });
      spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env: aptEnv });
    }
  }
  if (!existsSync(chromium)) say(`Chromium not found at ${chromium}: browser tests will fail (install it: apt-get install -y chromium)`);
}

function run(cmd, args, extraEnv = {}) {
  return spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...testEnv, ...extraEnv } }).status;
}

/** Lint: each file is a check. Typecheck: each TypeScript program is a check. */
function lintTier() {
  const report = path.join(OUT, 'eslint.json');
  // The module-boundary rule reads Nx's project graph; on a clean clone it must be computed first.
  run('npx', ['nx', 'show', 'projects'], {});
  run(
    'npx',
    [
      'eslint',
      'apps',
      'libs',
      'scripts',
      'e2e',
      'jest.config.ts',
      'jest.int.config.ts',
      'jest.e2e.config.ts',
      'jest.shared.ts',
      '--max-warnings=0',
      '--format',
      'json',
      '--output-file',
      report,
      // typed linting of every project at once needs more than Node's default heap
    ],
    { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=8192`.trim() },
  );
  let passed = 0;
  let failed = 0;
  if (existsSync(report)) {
    for (const file of JSON.parse(readFileSync(report, 'utf8'))) {
      if (file.errorCount + file.warningCount > 0) {
        failed++;
        for (const m of file.messages) process.stdout.write(`${path.relative(ROOT, file.filePath)}:${m.line}:${m.column} ${m.ruleId ?? ''} ${m.message}\n`);
      } else passed++;
    }
  } else failed++;
  for (const project of ['tsconfig.json', 'apps/admin/tsconfig.json', 'e2e/tsconfig.json']) {
    if (run('npx', ['tsc', '-p', project, '--noEmit']) === 0) passed++;
    else {
      say(`typecheck failed: ${project}`);
      failed++;
    }
  }
  return { passed, failed };
}

function jestTier(name, config, extra = []) {
  const report = path.join(OUT, `${name}.json`);
  const status = run('npx', ['jest', '-c', config, '--json', '--outputFile', report, ...extra]);
  if (!existsSync(report)) return { passed: 0, failed: 1 };
  const r = JSON.parse(readFileSync(report, 'utf8'));
  // A suite that fails to load has no test results but must count as a failure.
  const brokenSuites = r.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
  const failed = r.numFailedTests + brokenSuites + (status !== 0 && r.numFailedTests + brokenSuites === 0 ? 1 : 0);
  return { passed: r.numPassedTests, failed };
}

const results = [];
for (const tier of tiers) {
  const started = Date.now();
  say(`── ${tier} ──`);
  let result;
  switch (tier) {
    case 'lint':
      result = lintTier();
      break;
    case 'unit':
      result = jestTier('unit', 'jest.config.ts');
      break;
    case 'int':
      result = jestTier('integration', 'jest.int.config.ts', ['--runInBand']);
      break;
    case 'e2e':
      ensureChromium();
      result = jestTier('e2e', 'jest.e2e.config.ts', ['--runInBand']);
      break;
  }
  results.push({ tier, ...result, seconds: (Date.now() - started) / 1000 });
}

process.stdout.write('\n');
for (const r of results) say(`${r.tier.padEnd(5)} ${String(r.passed).padStart(4)} passed, ${r.failed} failed  (${r.seconds.toFixed(1)}s)`);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
