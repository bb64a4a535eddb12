// Nest's validation answers name the property first ("url must be a URL address", "credentials.handle should not
// be empty"); domain errors say "url: …". Messages that name a form field go next to it, the rest above the form.
import { ApiError } from '../../../shared/api/client';

export interface SplitErrors<F extends string> {
  byField: Partial<Record<F, string>>;
  /** Messages that name none of the fields. */
  rest: string[];
}

function namesField(message: string, path: string): boolean {
  if (!message.startsWith(path)) return false;
  const next = message.charAt(path.length);
  return next === '' || next === ' ' || next === ':';
}

/**
 * Splits a failed request's messages by the field each names. `paths` maps a form field to the request paths
 * that feed it (`applicationPassword` ← `credentials.applicationPassword`); the longest path wins, so
 * `credentials.handle` is not taken for `credentials`.
 */
export function splitApiErrors<F extends string>(error: unknown, paths: Record<F, string[]>): SplitErrors<F> {
  const result: SplitErrors<F> = { byField: {}, rest: [] };
  if (!(error instanceof ApiError) || error.status < 400 || error.status >= 500) return result;
  const candidates = (Object.entries(paths) as Array<[F, string[]]>)
    .flatMap(([field, fieldPaths]) => fieldPaths.map((path) => ({ field, path })))
    .sort((a, b) => b.path.length - a.path.length);
  for (const message of error.messages) {
    const match = candidates.find((candidate) => namesField(message, candidate.path));
    if (!match) {
      result.rest.push(message);
      continue;
    }
    const before = result.byField[match.field];
    result.byField[match.field] = before ? `${before} ${message}` : message;
  }
  return result;
}
