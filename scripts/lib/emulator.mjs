// When there is no model server at all (no Ollama answering, no cloud keys), `npm start` runs Margin's LLM
// emulator in their place, and says so: it is never used silently.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { EMULATOR_MAIN, build } from './build.mjs';
import { ROOT, say } from './deps.mjs';

const PREFERRED_PORT = 11500;

async function answers(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1500) });
    return res.ok;
  } catch {
    return false;
  }
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Decides whether the emulator is needed; returns null, or the running emulator and the env it implies. */
export async function maybeStartEmulator(env) {
  const mode = (env.MARGIN_EMULATOR ?? 'auto').toLowerCase();
  if (mode === 'off') return null;
  const ollama = env.OLLAMA_BASE_URL || 'http://127.0.0.1:11434';
  if (mode !== 'on') {
    if (env.OPENAI_API_KEY || env.ANTHROPIC_API_KEY) return null;
    if (await answers(`${ollama.replace(/\/$/, '')}/api/tags`)) return null;
  }
  build(['llm-emulator']);
  const port = (await portFree(PREFERRED_PORT)) ? PREFERRED_PORT : 0;
  const { child, url } = await spawnEmulator(port, env);
  say(`no Ollama at ${ollama} and no cloud API keys: the LLM EMULATOR stands in for Ollama, OpenAI and Anthropic at ${url}`);
  say('  (answers are synthetic; /api/v1/router/providers marks them emulated: true; set MARGIN_EMULATOR=off to disable)');
  return {
    child,
    url,
    // The API and the workers were told this URL: a restart must come back on the same port.
    respawn: () => spawnEmulator(Number(new URL(url).port), env),
    env: {
      OLLAMA_BASE_URL: url,
      OPENAI_BASE_URL: `${url}/v1`,
      OPENAI_API_KEY: 'emulator',
      ANTHROPIC_BASE_URL: url,
      ANTHROPIC_API_KEY: 'emulator',
    },
  };
}

/** Starts the emulator on `port` (0: any) and resolves once it listens, with its URL. */
export async function spawnEmulator(port, env) {
  const child = spawn(process.execPath, [EMULATOR_MAIN, '--port', String(port), '--host', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
    env: { ...process.env, ...(env.LLM_EMULATOR_CONFIG ? { LLM_EMULATOR_CONFIG: env.LLM_EMULATOR_CONFIG } : {}) },
  });
  const url = await new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.includes('llm-emulator listening'));
      if (line) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        child.off('exit', onExit);
        resolve(JSON.parse(line).url);
      }
    };
    const onExit = (code, signal) => reject(new Error(`the LLM emulator exited (${signal ?? code}) before listening`));
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
  return { child, url };
}
