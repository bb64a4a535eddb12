import { useCallback, useEffect, useRef } from 'react';

/**
 * Runs `callback` at most once per `intervalMs`: the first call at once, the calls in between folded into one
 * at the end of the interval, so the last change is never lost. Nothing runs after unmount.
 */
export function useThrottledCallback(callback: () => void, intervalMs: number): () => void {
  const latest = useRef(callback);
  const lastRun = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    latest.current = callback;
  }, [callback]);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
    },
    [],
  );

  return useCallback(() => {
    if (timer.current) return;
    const wait = lastRun.current + intervalMs - Date.now();
    if (wait <= 0) {
      lastRun.current = Date.now();
      latest.current();
      return;
    }
    timer.current = setTimeout(() => {
      timer.current = null;
      lastRun.current = Date.now();
      latest.current();
    }, wait);
  }, [intervalMs]);
}
