import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { DeliveryUpdatedEvent } from '@margin/contracts';
import { useAccessToken } from '../../../shared/api/useAccessToken';
import { useThrottledCallback } from '../../../shared/hooks/useThrottledCallback';
import { acquireProgressSocket, holdRoom, letGoOfRoom, releaseProgressSocket } from '../../jobs/api/progressSocket';
import type { FeedStatus, SubscribeAck } from '../../jobs/types/progressFeed';
import { applyDeliveryUpdate, refreshPublishing } from '../api/deliveriesCache';
import { postListQueryKey } from '../api/postsApi';

/** The tenant's room: `delivery.updated` goes there (a delivery belongs to no job room). */
const TENANT_ROOM = '*';
const REFRESH_INTERVAL_MS = 1000;

/**
 * Keeps deliveries live from the progress feed's `delivery.updated` events while mounted: one post's (its
 * deliveries and the post), or with no post the post lists (a post's status follows its deliveries). The socket
 * is the one the job pages share; returns the connection's state for a status line.
 */
export function useDeliveryFeed(postId?: string): FeedStatus {
  const token = useAccessToken();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<FeedStatus>(token ? 'connecting' : 'off');
  // A job publishing many posts sends bursts of events: the status moves with each at once, the full read
  // from the API happens at most once a second (the last one always runs).
  const refresh = useThrottledCallback(() => {
    if (postId) void refreshPublishing(queryClient, postId);
    else void queryClient.invalidateQueries({ queryKey: postListQueryKey });
  }, REFRESH_INTERVAL_MS);

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
        if (resubscribed) refresh();
      });
    };
    const onDisconnect = (): void => setStatus(socket.active ? 'reconnecting' : 'off');
    const onConnectError = (error: Error): void => {
      if (error.message === 'unauthorized') setStatus('unauthorized');
      else setStatus(socket.active ? 'reconnecting' : 'unavailable');
    };
    const onDeliveryUpdated = (event: DeliveryUpdatedEvent): void => {
      if (postId && event.postId !== postId) return;
      applyDeliveryUpdate(queryClient, event);
      refresh();
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
  }, [token, postId, queryClient, refresh]);

  return status;
}
