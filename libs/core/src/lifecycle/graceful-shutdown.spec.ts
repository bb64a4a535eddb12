import { EventEmitter } from 'node:events';
import { installGracefulShutdown, type ShutdownProcess } from './graceful-shutdown';

/** A process stand-in: signals are emitted by the test, exits recorded. */
function fakeProcess() {
  const events = new EventEmitter();
  const exits: number[] = [];
  const proc: ShutdownProcess = {
    once: (event, listener) => events.once(event, listener),
    exit: (code) => void exits.push(code),
  };
  return { proc, exits, signal: (s: NodeJS.Signals) => events.emit(s) };
}

function fakeTimer() {
  const timers: Array<{ fn: () => void; ms: number }> = [];
  return { timers, setTimer: (fn: () => void, ms: number) => timers.push({ fn, ms }) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('installGracefulShutdown', () => {
  it('closes the app on SIGTERM and exits 0 when it closed in time', async () => {
    const { proc, exits, signal } = fakeProcess();
    const { timers, setTimer } = fakeTimer();
    const app = { close: jest.fn(async () => undefined) };
    installGracefulShutdown(app, { timeoutMs: 10_000, process: proc, setTimer });
    signal('SIGTERM');
    await flush();
    expect(app.close).toHaveBeenCalledTimes(1);
    expect(timers.map((t) => t.ms)).toEqual([10_000]);
    expect(exits).toEqual([0]);
  });

  it('forces exit 1 at the deadline when close() hangs (a hung app must not keep its connections)', async () => {
    const { proc, exits, signal } = fakeProcess();
    const { timers, setTimer } = fakeTimer();
    const app = { close: jest.fn(() => new Promise<void>(() => undefined)) };
    installGracefulShutdown(app, { timeoutMs: 2_000, process: proc, setTimer });
    signal('SIGINT');
    await flush();
    expect(exits).toEqual([]);
    timers[0]?.fn();
    expect(exits).toEqual([1]);
  });

  it('a second signal exits at once; close() runs only once', async () => {
    const { proc, exits, signal } = fakeProcess();
    const { setTimer } = fakeTimer();
    const app = { close: jest.fn(() => new Promise<void>(() => undefined)) };
    installGracefulShutdown(app, { timeoutMs: 10_000, process: proc, setTimer });
    signal('SIGTERM');
    signal('SIGINT');
    await flush();
    expect(app.close).toHaveBeenCalledTimes(1);
    expect(exits).toEqual([1]);
  });

  it('a failing close() exits 1', async () => {
    const { proc, exits, signal } = fakeProcess();
    const { setTimer } = fakeTimer();
    installGracefulShutdown({ close: async () => Promise.reject(new Error('pool busy')) }, { timeoutMs: 10_000, process: proc, setTimer });
    signal('SIGTERM');
    await flush();
    expect(exits).toEqual([1]);
  });
});
