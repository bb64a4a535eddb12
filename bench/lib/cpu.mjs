// CPU accounting from /proc (Linux): per-process CPU time and machine-wide busy time, plus a summary of a
// V8 .cpuprofile (self time by function and by package).
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Shared services the bench uses (their CPU is not counted as foreign load). */
export const SERVICES = ['postgres', 'redis-server'];

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

/**
 * Machine-wide CPU time so far, in ms (all cores): `busy` (everything but idle and iowait), `total`, and
 * `irq` (hard and soft interrupts: loopback networking, which no process is charged for and which the
 * bench causes as much as anyone, so it is not counted as foreign load).
 */
export function machineCpuMs() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS, irq: ((v[5] ?? 0) + (v[6] ?? 0)) * TICK_MS };
}

/** Samples the given pids and the machine; `delta(previous)` gives CPU ms used since. */
export function cpuSnapshot(pids) {
  return {
    at: performance.now(),
    machine: machineCpuMs(),
    services: servicesCpuMs(),
    pids: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)])),
  };
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
  const services = after.services - before.services;
  const irq = after.machine.irq - before.machine.irq;
  const own = Object.values(procs).reduce((n, v) => n + (v ?? 0), 0);
  return {
    wallMs,
    machineBusyPct: total > 0 ? (100 * busy) / total : null,
    /** Share of the machine used by processes outside the bench (not its children, Postgres or Redis). */
    foreignBusyPct: total > 0 ? Math.max(0, (100 * (busy - irq - own - services)) / total) : null,
    servicesCpuMs: services,
    processCpuMs: procs,
  };
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

const SPECIAL = new Set(['(garbage collector)', '(program)', '(root)', '(idle)']);
const isLibrary = (pkg) => !pkg.startsWith('node:') && !pkg.startsWith('(');

/**
 * Summary of a .cpuprofile: top self-time frames; self time by package; self time attributed to the nearest
 * library frame on the stack (so that socket writes, promise hooks etc. count for the code that caused
 * them); and inclusive time per library (samples with that library anywhere on the stack).
 */
export function summarizeProfile(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const onStack = (node, test) => {
    for (let cur = node; cur; cur = byId.get(parent.get(cur.id))) if (test(cur.callFrame)) return true;
    return false;
  };
  const pkgOf = (node) => (SPECIAL.has(node.callFrame.functionName) ? node.callFrame.functionName : packageOf(node.callFrame.url));
  const frames = new Map();
  const packages = new Map();
  const attributed = new Map();
  const inclusive = new Map();
  const add = (m, k, us) => m.set(k, (m.get(k) ?? 0) + us);
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const { callFrame } = node;
    if (onStack(node, (f) => f.url.includes('cpu-profile-preload'))) continue; // the profiler's own start/stop
    totalUs += us;
    if (callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = callFrame.url ? callFrame.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/') : '';
    add(frames, `${callFrame.functionName || '(anonymous)'} ${where ? `${where}:${callFrame.lineNumber + 1}` : ''}`.trim(), us);
    const own = pkgOf(node);
    add(packages, own, us);
    // walk up the stack: nearest library frame, and every library present
    const seen = new Set();
    let nearest = null;
    for (let cur = node; cur; cur = byId.get(parent.get(cur.id))) {
      const pkg = pkgOf(cur);
      if (!isLibrary(pkg)) continue;
      nearest ??= pkg;
      seen.add(pkg);
    }
    add(attributed, SPECIAL.has(own) ? own : (nearest ?? own), us);
    for (const pkg of seen) add(inclusive, pkg, us);
  }
  const busyUs = totalUs - idleUs;
  const rank = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, pctOfBusy: busyUs ? (100 * us) / busyUs : 0 }));
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    frames: rank(frames),
    packages: rank(packages),
    attributed: rank(attributed),
    inclusive: rank(inclusive),
  };
}

const BENCH_DB = decodeURIComponent(new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/margin_bench').pathname.slice(1));
// "postgres: 15/main: <user> <database> <host>(<port>) <state>" (the cluster prefix depends on the version)
const PG_BACKEND = /^postgres: (?:\S+: )?\S+ (\S+) (?:\[local\]|\S+\(\d+\))/;

/**
 * CPU ms used so far by the shared services: Redis, and PostgreSQL except backends serving other databases
 * (other people's tests on the same server count as foreign load, not as the bench's).
 */
export function servicesCpuMs() {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!SERVICES.includes(comm)) continue;
      if (comm === 'postgres') {
        const backend = PG_BACKEND.exec(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '));
        if (backend && backend[1] !== BENCH_DB) continue;
      }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/**
 * Share of the machine (0..100, all cores) used by processes that are not part of the bench over `ms`:
 * everything except `ownPids` and the named services. Used to wait for a quiet machine and to flag
 * measurements that other work on the machine skewed.
 */
export async function foreignBusyPct(ownPids, ms = 1000) {
  const before = { m: machineCpuMs(), own: ownPids.map(processCpuMs), svc: servicesCpuMs() };
  await new Promise((r) => setTimeout(r, ms));
  const after = { m: machineCpuMs(), own: ownPids.map(processCpuMs), svc: servicesCpuMs() };
  return foreignPct(before, after);
}

/**
 * Waits (up to `maxWaitS`) until the rest of the machine uses less than `thresholdPct`; returns the last
 * reading and how long it waited.
 */
export async function waitForQuiet(ownPids, { thresholdPct = 15, maxWaitS = 30, onWait } = {}) {
  const t0 = Date.now();
  let pct = await foreignBusyPct(ownPids);
  let told = false;
  while (pct !== null && pct >= thresholdPct && Date.now() - t0 < maxWaitS * 1000) {
    if (!told) onWait?.(pct);
    told = true;
    pct = await foreignBusyPct(ownPids);
  }
  return { foreignBusyPct: pct, waitedS: (Date.now() - t0) / 1000 };
}

function foreignPct(before, after) {
  const total = after.m.total - before.m.total;
  if (total <= 0) return null;
  const own = after.own.reduce((n, v, i) => n + (v !== null && before.own[i] !== null ? v - before.own[i] : 0), 0);
  const busy = after.m.busy - before.m.busy - (after.m.irq - before.m.irq) - own - (after.svc - before.svc);
  return Math.max(0, (100 * busy) / total);
}
