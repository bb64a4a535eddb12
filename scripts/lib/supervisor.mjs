// Keeps `npm start`'s processes up: a child that dies is started again with backoff, and the others keep
// running (a crashed worker must not take the API down: jobs queue until it is back). Stopping (Ctrl-C)
// is the only thing that stops everything, in order, with a deadline.

/**
 * @typedef {object} ChildSpec
 * @property {string} name
 * @property {() => Promise<import('node:child_process').ChildProcess>} start  resolves once the child runs
 * @property {number} [stopPhase]  lower phases are stopped first, and the next phase only once they are gone
 *   (the worker finishes its items against the emulator, so the emulator stops after it)
 */

export class Supervisor {
  /**
   * @param {{ say: (message: string) => void, stopTimeoutMs: number, onStopped: (code: number) => void,
   *   initialBackoffMs?: number, maxBackoffMs?: number, stableAfterMs?: number }} options
   */
  constructor(options) {
    this.say = options.say;
    this.stopTimeoutMs = options.stopTimeoutMs;
    this.onStopped = options.onStopped;
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    // A child that ran this long before dying crashed, it is not crash-looping: its backoff starts over.
    this.stableAfterMs = options.stableAfterMs ?? 60_000;
    /** @type {Map<string, { spec: ChildSpec, child?: import('node:child_process').ChildProcess, startedAt: number, failures: number, timer?: NodeJS.Timeout }>} */
    this.entries = new Map();
    this.stopping = false;
    this.exitCode = 0;
  }

  get isStopping() {
    return this.stopping;
  }

  /** Adopts a child that is already running (started before the supervisor, like the emulator). */
  adopt(spec, child) {
    const entry = { spec, child, startedAt: Date.now(), failures: 0 };
    this.entries.set(spec.name, entry);
    this.say(`${spec.name} started (pid ${child.pid})`);
    this.watch(entry, child);
  }

  /** Starts a child and keeps it up. */
  async add(spec) {
    const entry = { spec, startedAt: Date.now(), failures: 0 };
    this.entries.set(spec.name, entry);
    const child = await spec.start();
    this.say(`${spec.name} started (pid ${child.pid})`);
    entry.child = child;
    entry.startedAt = Date.now();
    this.watch(entry, child);
    return child;
  }

  /** @param {{ spec: ChildSpec, child?: import('node:child_process').ChildProcess, startedAt: number, failures: number, timer?: NodeJS.Timeout }} entry */
  watch(entry, child) {
    child.once('exit', (code, signal) => {
      if (entry.child === child) entry.child = undefined;
      if (this.stopping) {
        this.advanceStop();
        return;
      }
      const how = signal ?? `code ${code}`;
      if (code === 78) {
        // EX_CONFIG: the same environment would fail the same way; restarting would only hide it.
        this.say(`${entry.spec.name} exited: its configuration is invalid (see above); stopping`);
        this.stop(78);
        return;
      }
      this.scheduleRestart(entry, `${entry.spec.name} exited unexpectedly (${how})`);
    });
  }

  scheduleRestart(entry, why) {
    if (Date.now() - entry.startedAt >= this.stableAfterMs) entry.failures = 0;
    const delay = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** entry.failures);
    entry.failures++;
    this.say(`${why}; restarting it in ${(delay / 1000).toFixed(1)}s (restart #${entry.failures}); the other processes keep running`);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (this.stopping) return;
      entry.startedAt = Date.now();
      entry.spec.start().then(
        (child) => {
          if (this.stopping) {
            child.kill('SIGTERM');
            return;
          }
          entry.child = child;
          this.say(`${entry.spec.name} restarted (pid ${child.pid})`);
          this.watch(entry, child);
        },
        (err) => this.scheduleRestart(entry, `${entry.spec.name} failed to start again (${err.message})`),
      );
    }, delay);
  }

  /** pid of a running child, or undefined. */
  pid(name) {
    return this.entries.get(name)?.child?.pid;
  }

  /** Stops every child: phase by phase, SIGTERM then, past the deadline, SIGKILL. */
  stop(code = 0) {
    if (this.stopping) return;
    this.stopping = true;
    this.exitCode = code;
    for (const entry of this.entries.values()) if (entry.timer) clearTimeout(entry.timer);
    this.say(`stopping ${[...this.entries.keys()].join(', ')}…`);
    setTimeout(() => {
      for (const entry of this.entries.values()) entry.child?.kill('SIGKILL');
      this.say(`some processes did not stop within ${this.stopTimeoutMs / 1000}s and were killed`);
      this.onStopped(this.exitCode || 1);
    }, this.stopTimeoutMs).unref();
    this.phase = -Infinity;
    this.advanceStop();
  }

  advanceStop() {
    const running = [...this.entries.values()].filter((e) => e.child);
    if (running.length === 0) {
      this.say('stopped');
      this.onStopped(this.exitCode);
      return;
    }
    const next = Math.min(...running.map((e) => e.spec.stopPhase ?? 0));
    if (next === this.phase) return; // this phase is still stopping
    this.phase = next;
    for (const entry of running) if ((entry.spec.stopPhase ?? 0) === next) entry.child?.kill('SIGTERM');
  }

  /** Last resort when this process itself exits: never leave children behind. */
  killAll() {
    for (const entry of this.entries.values()) entry.child?.kill('SIGKILL');
  }
}
