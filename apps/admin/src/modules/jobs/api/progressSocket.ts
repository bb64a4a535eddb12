// One progress-feed connection per app (per query client), shared by every component that shows live jobs:
// moving between pages keeps it, instead of closing a socket that may still be connecting and opening another.
import type { QueryClient } from '@tanstack/react-query';
import { io, type Socket } from 'socket.io-client';
import { PROGRESS_NAMESPACE } from '@margin/contracts';

/** How long the connection stays open after the last user lets go (the next page usually wants it back). */
export const LINGER_MS = 5000;

interface Connection {
  token: string;
  socket: Socket;
  users: number;
  /** How many users want each room ("*" for all of the tenant's jobs, else a job id). */
  rooms: Map<string, number>;
  closeTimer: ReturnType<typeof setTimeout> | null;
}

const connections = new WeakMap<QueryClient, Connection>();

function close(owner: QueryClient, connection: Connection): void {
  if (connection.closeTimer) clearTimeout(connection.closeTimer);
  connection.socket.disconnect();
  if (connections.get(owner) === connection) connections.delete(owner);
}

/** The shared socket for this session's token; a new one when the token changed or the old one gave up. */
export function acquireProgressSocket(owner: QueryClient, token: string): Socket {
  let connection = connections.get(owner);
  if (connection && (connection.token !== token || (!connection.socket.active && !connection.socket.connected))) {
    close(owner, connection);
    connection = undefined;
  }
  if (!connection) {
    connection = {
      token,
      socket: io(PROGRESS_NAMESPACE, { auth: { token }, transports: ['websocket'] }),
      users: 0,
      rooms: new Map(),
      closeTimer: null,
    };
    connections.set(owner, connection);
  }
  if (connection.closeTimer) {
    clearTimeout(connection.closeTimer);
    connection.closeTimer = null;
  }
  connection.users += 1;
  return connection.socket;
}

export function releaseProgressSocket(owner: QueryClient, socket: Socket): void {
  const connection = connections.get(owner);
  if (!connection || connection.socket !== socket) {
    // Replaced meanwhile (new token): this one is nobody's any more.
    socket.disconnect();
    return;
  }
  connection.users -= 1;
  if (connection.users > 0) return;
  connection.closeTimer = setTimeout(() => close(owner, connection), LINGER_MS);
}

/** Counts a user of a room; subscribing again is harmless, so every user subscribes (and gets its ack). */
export function holdRoom(owner: QueryClient, socket: Socket, room: string): void {
  const connection = connections.get(owner);
  if (connection?.socket !== socket) return;
  connection.rooms.set(room, (connection.rooms.get(room) ?? 0) + 1);
}

/** Whether this was the room's last user, i.e. whether to unsubscribe from it. */
export function letGoOfRoom(owner: QueryClient, socket: Socket, room: string): boolean {
  const connection = connections.get(owner);
  if (connection?.socket !== socket) return false;
  const left = (connection.rooms.get(room) ?? 1) - 1;
  if (left > 0) {
    connection.rooms.set(room, left);
    return false;
  }
  connection.rooms.delete(room);
  return true;
}
