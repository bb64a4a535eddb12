// Stands in for socket.io-client in component tests (jest.config maps the package here): sockets connect on
// the next tick, `subscribe` is answered by `fakeProgressServer.onSubscribe`, and tests push server events.

type Listener = (...args: unknown[]) => void;

export interface FakeEmit {
  event: string;
  payload: unknown;
}

export class FakeSocket {
  connected = false;
  active = true;
  readonly emitted: FakeEmit[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    readonly uri: string,
    readonly options: Record<string, unknown>,
  ) {}

  on(event: string, listener: Listener): this {
    const set = this.listeners.get(event) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(event, set);
    return this;
  }

  off(event: string, listener?: Listener): this {
    if (listener) this.listeners.get(event)?.delete(listener);
    else this.listeners.delete(event);
    return this;
  }

  emit(event: string, payload?: unknown, ack?: (reply: unknown) => void): this {
    this.emitted.push({ event, payload });
    if (ack) {
      const reply = event === 'subscribe' ? fakeProgressServer.onSubscribe(payload) : { ok: true };
      setTimeout(() => {
        if (this.connected) ack(reply);
      }, 0);
    }
    return this;
  }

  disconnect(): this {
    const wasConnected = this.connected;
    this.connected = false;
    this.active = false;
    if (wasConnected) this.fire('disconnect', 'io client disconnect');
    return this;
  }

  close(): this {
    return this.disconnect();
  }

  /** The server accepts the handshake. */
  serverConnect(): void {
    if (!this.active) return;
    this.connected = true;
    this.fire('connect');
  }

  /** The connection drops; the client keeps trying (socket.io's reconnection). */
  serverDrop(): void {
    if (!this.connected) return;
    this.connected = false;
    this.fire('disconnect', 'transport close');
  }

  /** The server refuses the handshake (`unauthorized` for bad credentials). */
  serverReject(message: string): void {
    this.active = false;
    this.fire('connect_error', new Error(message));
  }

  /** An event from the server, delivered only while connected. */
  serverEmit(event: string, payload: unknown): void {
    if (this.connected) this.fire(event, payload);
  }

  private fire(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener(...args);
  }
}

export const fakeProgressServer = {
  sockets: [] as FakeSocket[],
  autoConnect: true,
  onSubscribe: (_payload: unknown): unknown => ({ ok: true }),
  /** Sockets still open (tests emit to these). */
  open(): FakeSocket[] {
    return this.sockets.filter((socket) => socket.connected);
  },
  /** Sends an event to every open socket. */
  emit(event: string, payload: unknown): void {
    for (const socket of this.open()) socket.serverEmit(event, payload);
  },
  reset(): void {
    this.sockets = [];
    this.autoConnect = true;
    this.onSubscribe = () => ({ ok: true });
  },
};

/**
 * Delivers a server event inside act() and lets TanStack Query's batched notification (a zero timeout) reach
 * React before returning, so assertions see the result at once. Tests pass act from testing-library.
 */
export async function serverEmits(act: (callback: () => Promise<void>) => Promise<void>, event: string, payload: unknown): Promise<void> {
  await act(async () => {
    fakeProgressServer.emit(event, payload);
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

export function io(uri: string, options: Record<string, unknown> = {}): FakeSocket {
  const socket = new FakeSocket(uri, options);
  fakeProgressServer.sockets.push(socket);
  if (fakeProgressServer.autoConnect) setTimeout(() => socket.serverConnect(), 0);
  return socket;
}
