// Margin's LLM emulator as a separate process (the built CLI), configured from a JSON file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appMain } from './dist.mjs';
import { spawnNode } from './procs.mjs';


const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'margin-bench-'));
process.on('exit', () => rmSync(tmpDir, { recursive: true, force: true }));

/** Starts the emulator with `config` (the file format of apps/llm-emulator/README.md); resolves once it listens. */
export async function startEmulator(name, config) {
  const file = path.join(tmpDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  const proc = spawnNode(name, [appMain('emulator'), '--port', '0', '--host', '127.0.0.1', '--config', file]);
  const line = await proc.waitForLine(/llm-emulator listening/, 20_000);
  const { url } = JSON.parse(line);
  return {
    proc,
    url,
    /** Per-model counters: requests, completed, failed, tokens, errors by HTTP status. */
    async stats() {
      const res = await fetch(`${url}/_emulator/stats`);
      return (await res.json()).stats;
    },
  };
}
