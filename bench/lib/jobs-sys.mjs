// /proc readings for the analysis-jobs benchmarks (Linux): a process's resident memory, CPU used by the
// shared services on behalf of the bench database (PostgreSQL backends of margin_bench_jobs and its auxiliary
// processes, Redis), a CPU split per process over a window, and how busy the rest of the machine is.
import { readdirSync, readFileSync } from 'node:fs';
import { machineCpuMs, processCpuMs } from './cpu.mjs';

const TICK_MS = 10; // USER_HZ

/** Resident set size of `pid` in bytes (VmRSS), null if it is gone. */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Samples `pid`'s RSS every `intervalMs` until stopped; `mark(name)` records when something happened.
 * Returns {stop(): {samples: [{t, rss}], marks: {name: t}}} with t in ms since the sampler started.
 */
export function rssSampler(pid, intervalMs = 100) {
  const t0 = performance.now();
  const samples = [];
  const marks = {};
  const take = () => samples.push({ t: performance.now() - t0, rss: rssBytes(pid) });
  take();
  const timer = setInterval(take, intervalMs);
  return {
    t0,
    now: () => performance.now() - t0,
    mark(name) {
      marks[name] = performance.now() - t0;
      take();
    },
    stop() {
      clearInterval(timer);
      take();
      return { samples, marks };
    },
  };
}

function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { comm, cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
}

/**
 * CPU ms used so far by Redis and by PostgreSQL on behalf of database `db`: its backends plus the server's
 * auxiliary processes (WAL writer, checkpointer… which work for every database). Backends of other
 * databases (other people's tests on the same server) are not counted.
 */
export function servicesCpu(db) {
  const out = { postgres: 0, redis: 0, pgBackends: {} };
  const backend = /^postgres: (?:\S+: )?\S+ (\S+) (?:\[local\]|\S+\(\d+\))/;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { comm, cpuMs } = procStat(entry);
      if (comm === 'redis-server') out.redis += cpuMs;
      else if (comm === 'postgres') {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        const m = backend.exec(cmdline);
        if (m && m[1] !== db) continue;
        if (m) out.pgBackends[entry] = cpuMs;
        out.postgres += cpuMs;
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** A point-in-time CPU reading of the machine, the named bench processes and the services. */
export function cpuReading(pids, db) {
  return {
    at: performance.now(),
    machine: machineCpuMs(),
    services: servicesCpu(db),
    pids: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)])),
  };
}

/**
 * CPU used between two readings: ms per bench process and per service, the machine's busy share (all
 * cores), and the share used by processes outside the bench. A PostgreSQL backend that started during the
 * window counts from zero; one that ended during it is lost (rare: the pools keep their connections).
 */
export function cpuSplit(before, after) {
  const wallMs = after.at - before.at;
  const total = after.machine.total - before.machine.total;
  const busy = after.machine.busy - before.machine.busy;
  const processes = {};
  for (const [k, v] of Object.entries(after.pids)) {
    const b = before.pids[k];
    processes[k] = v !== null && b !== null && b !== undefined ? v - b : null;
  }
  let pgBackendsMs = 0;
  for (const [pid, ms] of Object.entries(after.services.pgBackends)) pgBackendsMs += ms - (before.services.pgBackends[pid] ?? 0);
  const auxBefore = before.services.postgres - Object.values(before.services.pgBackends).reduce((a, b) => a + b, 0);
  const auxAfter = after.services.postgres - Object.values(after.services.pgBackends).reduce((a, b) => a + b, 0);
  const postgres = pgBackendsMs + Math.max(0, auxAfter - auxBefore);
  const redis = after.services.redis - before.services.redis;
  const own = Object.values(processes).reduce((n, v) => n + (v ?? 0), 0) + postgres + redis;
  return {
    wallMs,
    cores: total > 0 ? Math.round((total / wallMs) * 10) / 10 : null,
    machineBusyPct: total > 0 ? (100 * busy) / total : null,
    foreignBusyPct: total > 0 ? Math.max(0, (100 * (busy - own)) / total) : null,
    cpuMs: { ...processes, postgres, redis },
  };
}

/** Share of the machine (0..100) used by processes outside the bench over `ms`. */
export async function foreignBusyPct(pids, db, ms = 1000) {
  const before = cpuReading(pids, db);
  await new Promise((r) => setTimeout(r, ms));
  return cpuSplit(before, cpuReading(pids, db)).foreignBusyPct;
}

/** Waits (at most `maxWaitS`) for the rest of the machine to use less than `thresholdPct`. */
export async function waitForQuiet(pids, db, { thresholdPct = 15, maxWaitS = 20, onWait } = {}) {
  const t0 = Date.now();
  let pct = await foreignBusyPct(pids, db);
  let told = false;
  while (pct !== null && pct >= thresholdPct && Date.now() - t0 < maxWaitS * 1000) {
    if (!told) onWait?.(pct);
    told = true;
    pct = await foreignBusyPct(pids, db);
  }
  return { foreignBusyPct: pct, waitedS: (Date.now() - t0) / 1000 };
}
