import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { io } from 'socket.io-client';
import { PROGRESS_NAMESPACE, type ItemCompletedEvent, type JobCounters } from '@margin/contracts';
import { useAccessToken } from '../../../shared/api/useAccessToken';
import { jobListsQueryKey, jobQueryKey } from '../api/jobsApi';
import { applyCounters, listsShowJob } from '../api/jobsCache';
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
    setStatus('connecting');
    const socket = io(PROGRESS_NAMESPACE, { auth: { token }, transports: ['websocket'] });
    let connectedBefore = false;
    // Jobs the tenant feed mentioned that no loaded list shows: the lists are refetched once for each.
    const unknownJobs = new Set<string>();

    const onCounters = (counters: JobCounters): void => {
      applyCounters(queryClient, counters);
      if (!jobId && !unknownJobs.has(counters.jobId) && !listsShowJob(queryClient, counters.jobId)) {
        unknownJobs.add(counters.jobId);
        void queryClient.invalidateQueries({ queryKey: jobListsQueryKey });
      }
    };

    socket.on('connect', () => {
      const reconnected = connectedBefore;
      connectedBefore = true;
      // Rooms do not survive a reconnect: subscribe again every time.
      socket.emit('subscribe', jobId ? { jobId } : {}, (ack: SubscribeAck) => {
        if (!ack.ok) {
          setStatus(ack.error === 'not found' ? 'not-found' : 'unavailable');
          return;
        }
        setStatus('live');
        if (ack.job) applyCounters(queryClient, ack.job);
        if (reconnected) {
          // Whatever happened while the connection was down is read once from the API.
          void queryClient.invalidateQueries({ queryKey: jobId ? jobQueryKey(jobId) : jobListsQueryKey });
        }
      });
    });
    socket.on('disconnect', () => {
      setStatus(socket.active ? 'reconnecting' : 'off');
    });
    socket.on('connect_error', (error: Error) => {
      if (error.message === 'unauthorized') setStatus('unauthorized');
      else setStatus(socket.active ? 'reconnecting' : 'unavailable');
    });
    socket.on('job.progress', onCounters);
    socket.on('job.completed', (counters: JobCounters) => {
      onCounters(counters);
      // A finished job leaves the "running" filter and gains finishedAt and savings: read it once more.
      void queryClient.invalidateQueries({ queryKey: jobQueryKey(counters.jobId) });
      void queryClient.invalidateQueries({
        queryKey: jobListsQueryKey,
        predicate: (query) => {
          const filter = query.queryKey[2] as { status?: string } | undefined;
          return filter?.status !== undefined;
        },
      });
      handlers.current.onJobCompleted?.(counters);
    });
    socket.on('item.completed', (event: ItemCompletedEvent) => {
      handlers.current.onItemCompleted?.(event);
    });

    return () => {
      socket.disconnect();
    };
  }, [token, jobId, queryClient]);

  return status;
}
