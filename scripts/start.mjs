// `npm start`: set up what is missing, then run the API and the worker until Ctrl-C.
import { ensureDependencies, ROOT, say } from './lib/deps.mjs';

ensureDependencies();

const { spawn } = await import('node:child_process');
const { API_MAIN, WORKER_MAIN, build } = await import('./lib/build.mjs');
const { cli, migrate, prepareEnvironment } = await import('./lib/stack.mjs');
const { maybeStartEmulator } = await import('./lib/emulator.mjs');

const env = await prepareEnvironment({
  NODE_ENV: process.env.NODE_ENV ?? 'production',
  ALLOW_SIGNUP: process.env.ALLOW_SIGNUP ?? 'true',
  PORT: process.env.PORT ?? '3000',
  HOST: process.env.HOST ?? '127.0.0.1',
});

if (process.env.MARGIN_SKIP_BUILD !== 'true') build();
await migrate(env);
const owner = cli('ensure-owner', env);
const emulator = await maybeStartEmulator(env);
if (emulator) Object.assign(env, emulator.env);

const children = new Map();
let stopping = false;

function launch(name, script) {
  // Own process group: Ctrl-C reaches only this script, which then stops each child exactly once.
  const child = spawn(process.execPath, ['--enable-source-maps', script], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  say(`${name} started (pid ${child.pid})`);
  return adopt(name, child);
}

function adopt(name, child) {
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the rest`);
      void stop(1);
    } else if (children.size === 0) {
      say('stopped');
      process.exit(exitCode);
    }
  });
  return child;
}

let exitCode = 0;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  if (children.size === 0) process.exit(code);
  say('stopping api and worker…');
  for (const child of children.values()) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(code || 1);
  }, 20_000).unref();
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
// Never leave children behind, whatever ends this process.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGKILL');
});

if (emulator) adopt('llm-emulator', emulator.child);
launch('api', API_MAIN);
launch('worker', WORKER_MAIN);

const url = `http://${env.HOST}:${env.PORT}`;
const deadline = Date.now() + 60_000;
for (;;) {
  if (stopping) break;
  try {
    const res = await fetch(`${url}/health`);
    if (res.ok) break;
  } catch {
    /* not up yet */
  }
  if (Date.now() > deadline) {
    say(`the API did not become healthy at ${url}/health within 60s`);
    stop(1);
    break;
  }
  await new Promise((r) => setTimeout(r, 300));
}

if (!stopping) {
  const password = owner.generatedPassword
    ? `${owner.generatedPassword}   (generated now and shown only this once: set ADMIN_PASSWORD to choose your own)`
    : env.ADMIN_PASSWORD
      ? '(the ADMIN_PASSWORD you set)'
      : '(the one printed when this installation first started)';
  process.stdout.write(
    [
      '',
      `  Margin is running at ${url}`,
      `  Owner login: ${owner.email}`,
      `  Password:    ${password}`,
      `  API docs:    ${url}/api/docs`,
      ...(emulator ? [`  Models:      LLM EMULATOR at ${emulator.url} (no Ollama or cloud keys found)`] : []),
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n') + '\n',
  );
}
