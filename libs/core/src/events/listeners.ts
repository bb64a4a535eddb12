/**
 * In-process observers of something a service does (a ledger row booked, an item finished), so that a higher
 * layer (metrics) can count it without the lower one importing it. Listeners run synchronously and must be
 * cheap; one that throws is ignored, never the caller's problem.
 */
export class Listeners<T> {
  private readonly listeners = new Set<(event: T) => void>();

  /** Returns the function that removes the listener. */
  add(listener: (event: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: T): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // an observer's failure must never fail the work it observes
      }
    }
  }
}
