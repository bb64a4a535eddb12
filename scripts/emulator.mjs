// `npm run emulator -- [--port 11434] [--config file.json]`: the offline LLM emulator on its own.
import { spawn } from 'node:child_process';
import { ensureDependencies, ROOT } from './lib/deps.mjs';

ensureDependencies();
const { build, EMULATOR_MAIN } = await import('./lib/build.mjs');
build(['llm-emulator']);
const child = spawn(process.execPath, [EMULATOR_MAIN, ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
