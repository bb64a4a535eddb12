// CPU accounting from /proc (Linux): per-process CPU time and machine-wide busy time, plus a summary of a
// V8 .cpuprofile (self time by function and by package).
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system) a process has used so far, in ms; null if it is gone. */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** Machine-wide {busy, total} CPU time so far, in ms (all cores). */
export function machineCpuMs() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

/** Samples the given pids and the machine; `delta(previous)` gives CPU ms used since. */
export function cpuSnapshot(pids) {
  return { at: performance.now(), machine: machineCpuMs(), pids: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)])) };
}

export function cpuDelta(before, after) {
  const wallMs = after.at - before.at;
  const busy = after.machine.busy - before.machine.busy;
  const total = after.machine.total - before.machine.total;
  const procs = {};
  for (const [k, v] of Object.entries(after.pids)) {
    const b = before.pids[k];
    procs[k] = v !== null && b !== null && b !== undefined ? v - b : null;
  }
  return { wallMs, machineBusyPct: total > 0 ? (100 * busy) / total : null, processCpuMs: procs };
}

function packageOf(url) {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node: (core)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/apps/');
  if (dist >= 0) {
    const parts = url.slice(dist + '/dist/apps/'.length).split('/');
    // dist/apps/api/libs/<lib>/src/... or dist/apps/api/apps/api/src/...
    return parts[1] === 'libs' ? `margin: libs/${parts[2]}` : `margin: apps/${parts[2]}`;
  }
  return url.replace(/^file:\/\//, '');
}

/** Top self-time frames and packages of a .cpuprofile. */
export function summarizeProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const frames = new Map();
  const packages = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    totalUs += us;
    if (callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const file = callFrame.url ? callFrame.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/') : '';
    const key = `${callFrame.functionName || '(anonymous)'} ${file ? `${file}:${callFrame.lineNumber + 1}` : ''}`.trim();
    frames.set(key, (frames.get(key) ?? 0) + us);
    const pkg = ['(garbage collector)', '(program)'].includes(callFrame.functionName) ? callFrame.functionName : packageOf(callFrame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const rank = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, pctOfBusy: busyUs ? (100 * us) / busyUs : 0 }));
  return { totalMs: totalUs / 1000, busyMs: busyUs / 1000, idleMs: idleUs / 1000, frames: rank(frames), packages: rank(packages) };
}
