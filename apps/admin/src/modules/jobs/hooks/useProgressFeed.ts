import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { ItemCompletedEvent, JobCounters } from '@margin/contracts';
import { useAccessToken } from '../../../shared/api/useAccessToken';
import { jobListsQueryKey, jobQueryKey } from '../api/jobsApi';
import { applyCounters, listsShowJob } from '../api/jobsCache';
import { acquireProgressSocket, holdRoom, letGoOfRoom, releaseProgressSocket } from '../api/progressSocket';
import type { FeedStatus, SubscribeAck } from '../types/progressFeed';

interface ProgressFeedOptions {
  /** One job's events; without it, every job of the tenant (`subscribe {}`). */
  jobId?: string;
  onItemCompleted?: (event: ItemCompletedEvent) => void;
  onJobCompleted?: (counters: JobCounters) => void;
}

/**
 * Listens to the progress feed (socket.io, namespace /progress) while the component is mounted and writes
 * what it hears into the query cache. Returns the connection's state for a status line.
 */
export function useProgressFeed({ jobId, onItemCompleted, onJobCompleted }: ProgressFeedOptions = {}): FeedStatus {
  const token = useAccessToken();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<FeedStatus>(token ? 'connecting' : 'off');
  const handlers = useRef({ onItemCompleted, onJobCompleted });

  useEffect(() => {
    handlers.current = { onItemCompleted, onJobCompleted };
  }, [onItemCompleted, onJobCompleted]);

  useEffect(() => {
    if (!token) {
      setStatus('off');
      return undefined;
    }
    const socket = acquireProgressSocket(queryClient, token);
    const target = jobId ? { jobId } : {};
    const room = jobId ?? '*';
    holdRoom(queryClient, socket, room);
    let subscribedBefore = false;
    // Jobs the tenant feed mentioned that no loaded list shows: the lists are refetched once for each.
    const unknownJobs = new Set<string>();

    const onCounters = (counters: JobCounters): void => {
      if (jobId && counters.jobId !== jobId) return;
      applyCounters(queryClient, counters);
      if (!jobId && !unknownJobs.has(counters.jobId) && !listsShowJob(queryClient, counters.jobId)) {
        unknownJobs.add(counters.jobId);
        void queryClient.invalidateQueries({ queryKey: jobListsQueryKey });
      }
    };

    // Rooms do not survive a reconnect: subscribe on every connect, and at once when the shared socket is up.
    const subscribe = (): void => {
      const resubscribed = subscribedBefore;
      subscribedBefore = true;
      socket.emit('subscribe', target, (ack: SubscribeAck) => {
        if (!ack.ok) {
          setStatus(ack.error === 'not found' ? 'not-found' : 'unavailable');
          return;
        }
        setStatus('live');
        if (ack.job) applyCounters(queryClient, ack.job);
        if (resubscribed) {
          // Whatever happened while the connection was down is read once from the API.
          void queryClient.invalidateQueries({ queryKey: jobId ? jobQueryKey(jobId) : jobListsQueryKey });
        }
      });
    };
    const onDisconnect = (): void => setStatus(socket.active ? 'reconnecting' : 'off');
    const onConnectError = (error: Error): void => {
      if (error.message === 'unauthorized') setStatus('unauthorized');
      else setStatus(socket.active ? 'reconnecting' : 'unavailable');
    };
    const onJobCompleted = (counters: JobCounters): void => {
      if (jobId && counters.jobId !== jobId) return;
      onCounters(counters);
      // A finished job leaves the "running" filter and gains finishedAt and savings: read it once more.
      void queryClient.invalidateQueries({ queryKey: jobQueryKey(counters.jobId) });
      void queryClient.invalidateQueries({
        queryKey: jobListsQueryKey,
        predicate: (query) => (query.queryKey[2] as { status?: string } | undefined)?.status !== undefined,
      });
      handlers.current.onJobCompleted?.(counters);
    };
    const onItemCompleted = (event: ItemCompletedEvent): void => {
      if (jobId && event.jobId !== jobId) return;
      handlers.current.onItemCompleted?.(event);
    };

    setStatus('connecting');
    socket.on('connect', subscribe);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onConnectError);
    socket.on('job.progress', onCounters);
    socket.on('job.completed', onJobCompleted);
    socket.on('item.completed', onItemCompleted);
    if (socket.connected) subscribe();

    return () => {
      socket.off('connect', subscribe);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onConnectError);
      socket.off('job.progress', onCounters);
      socket.off('job.completed', onJobCompleted);
      socket.off('item.completed', onItemCompleted);
      // The connection outlives this component: leave the room unless someone else still listens to it.
      if (letGoOfRoom(queryClient, socket, room) && socket.connected) socket.emit('unsubscribe', target);
      releaseProgressSocket(queryClient, socket);
    };
  }, [token, jobId, queryClient]);

  return status;
}
