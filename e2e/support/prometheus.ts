// Debian's Prometheus tools for the metrics e2e: promtool to lint an exposition, and a real server to scrape.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Installs Debian's `prometheus` package (promtool and the server) when missing and we may (root, apt-get). */
export function ensurePrometheus(): { promtool: string; prometheus: string } | null {
  const tools = { promtool: '/usr/bin/promtool', prometheus: '/usr/bin/prometheus' };
  if (existsSync(tools.promtool) && existsSync(tools.prometheus)) return tools;
  const canApt = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (canApt) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { stdio: 'ignore', env }).status === 0;
    if (!install()) {
      spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
      install();
    }
  }
  return existsSync(tools.promtool) && existsSync(tools.prometheus) ? tools : null;
}

/** `promtool check metrics` on an exposition: exit status and what it said. */
export function promtoolCheck(promtool: string, exposition: string): { status: number | null; output: string } {
  const r = spawnSync(promtool, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export interface RunningPrometheus {
  url: string;
  process: ChildProcess;
  query<T = unknown>(expr: string): Promise<T[]>;
  stop(): Promise<void>;
}

/** A Prometheus server scraping `targets` every second (bearer token when given), on 127.0.0.1:`port`. */
export async function startPrometheus(binary: string, port: number, jobs: Array<{ job: string; target: string; token?: string }>): Promise<RunningPrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), 'margin-prom-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    ...jobs.flatMap((j) => [
      `  - job_name: ${j.job}`,
      '    metrics_path: /metrics',
      ...(j.token ? ['    authorization:', `      credentials: ${j.token}`] : []),
      '    static_configs:',
      `      - targets: ['${j.target}']`,
    ]),
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), `${config}\n`);
  const child = spawn(
    binary,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${log}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`prometheus did not get ready:\n${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    process: child,
    async query<T>(expr: string): Promise<T[]> {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data: { result: T[] } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${JSON.stringify(body)}`);
      return body.data.result;
    },
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/** The value of the first sample of `name` whose labels include all of `labels` (any label order), or undefined. */
export function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
