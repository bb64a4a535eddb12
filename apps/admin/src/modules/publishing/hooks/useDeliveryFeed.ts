import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { DeliveryUpdatedEvent } from '@margin/contracts';
import { useAccessToken } from '../../../shared/api/useAccessToken';
import { acquireProgressSocket, holdRoom, letGoOfRoom, releaseProgressSocket } from '../../jobs/api/progressSocket';
import type { FeedStatus, SubscribeAck } from '../../jobs/types/progressFeed';
import { applyDeliveryUpdate, refreshPublishing } from '../api/deliveriesCache';

/** The tenant's room: `delivery.updated` goes there (a delivery belongs to no job room). */
const TENANT_ROOM = '*';

/**
 * Keeps one post's deliveries live from the progress feed's `delivery.updated` events while mounted. The
 * socket is the one the job pages share; returns the connection's state for a status line.
 */
export function useDeliveryFeed(postId: string): FeedStatus {
  const token = useAccessToken();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<FeedStatus>(token ? 'connecting' : 'off');

  useEffect(() => {
    if (!token) {
      setStatus('off');
      return undefined;
    }
    const socket = acquireProgressSocket(queryClient, token);
    holdRoom(queryClient, socket, TENANT_ROOM);
    let subscribedBefore = false;

    // Rooms do not survive a reconnect: subscribe on every connect, and at once when the shared socket is up.
    const subscribe = (): void => {
      const resubscribed = subscribedBefore;
      subscribedBefore = true;
      socket.emit('subscribe', {}, (ack: SubscribeAck) => {
        if (!ack.ok) {
          setStatus('unavailable');
          return;
        }
        setStatus('live');
        // What changed while the connection was down is read once from the API.
        if (resubscribed) void refreshPublishing(queryClient, postId);
      });
    };
    const onDisconnect = (): void => setStatus(socket.active ? 'reconnecting' : 'off');
    const onConnectError = (error: Error): void => {
      if (error.message === 'unauthorized') setStatus('unauthorized');
      else setStatus(socket.active ? 'reconnecting' : 'unavailable');
    };
    const onDeliveryUpdated = (event: DeliveryUpdatedEvent): void => {
      if (event.postId !== postId) return;
      applyDeliveryUpdate(queryClient, event);
      void refreshPublishing(queryClient, postId);
    };

    setStatus('connecting');
    socket.on('connect', subscribe);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onConnectError);
    socket.on('delivery.updated', onDeliveryUpdated);
    if (socket.connected) subscribe();

    return () => {
      socket.off('connect', subscribe);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onConnectError);
      socket.off('delivery.updated', onDeliveryUpdated);
      if (letGoOfRoom(queryClient, socket, TENANT_ROOM) && socket.connected) socket.emit('unsubscribe', {});
      releaseProgressSocket(queryClient, socket);
    };
  }, [token, postId, queryClient]);

  return status;
}
