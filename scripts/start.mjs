// `npm start`: set up what is missing, then run the API and the worker until Ctrl-C, restarting any that crashes.
import { ensureDependencies, ROOT, say } from './lib/deps.mjs';

ensureDependencies();

const { spawn } = await import('node:child_process');
const { setTimeout: sleep } = await import('node:timers/promises');
const { API_MAIN, WORKER_MAIN, build } = await import('./lib/build.mjs');
const { cli, migrate, prepareEnvironment } = await import('./lib/stack.mjs');
const { maybeStartEmulator } = await import('./lib/emulator.mjs');
const { Supervisor } = await import('./lib/supervisor.mjs');

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

// Each process's own graceful-shutdown deadline (SHUTDOWN_TIMEOUT_SECONDS, validated by the processes),
// plus a margin, before the supervisor kills what is left.
const shutdownSeconds = Number(env.SHUTDOWN_TIMEOUT_SECONDS) > 0 ? Number(env.SHUTDOWN_TIMEOUT_SECONDS) : 10;
const supervisor = new Supervisor({
  say,
  stopTimeoutMs: (shutdownSeconds + 5) * 1000,
  onStopped: (code) => process.exit(code),
});

function nodeProcess(script) {
  // Own process group: Ctrl-C reaches only this script, which then stops each child exactly once.
  return async () => spawn(process.execPath, ['--enable-source-maps', script], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
}

process.on('SIGINT', () => supervisor.stop(0));
process.on('SIGTERM', () => supervisor.stop(0));
// Never leave children behind, whatever ends this process.
process.on('exit', () => supervisor.killAll());

// The worker finishes the items in hand against the emulator: the emulator stops last.
if (emulator) {
  supervisor.adopt(
    {
      name: 'llm-emulator',
      stopPhase: 1,
      start: async () => (await emulator.respawn()).child,
    },
    emulator.child,
  );
}
await supervisor.add({ name: 'api', start: nodeProcess(API_MAIN) });
await supervisor.add({ name: 'worker', start: nodeProcess(WORKER_MAIN) });

const url = `http://${env.HOST}:${env.PORT}`;
const deadline = Date.now() + 60_000;
for (;;) {
  if (supervisor.isStopping) break;
  try {
    const res = await fetch(`${url}/health`);
    if (res.ok) break;
  } catch {
    /* not up yet */
  }
  if (Date.now() > deadline) {
    say(`the API did not become healthy at ${url}/health within 60s`);
    supervisor.stop(1);
    break;
  }
  await sleep(300);
}

if (!supervisor.isStopping) {
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
