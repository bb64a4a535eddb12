import type { FuzzCase } from './route-fuzzer';

/**
 * Cases on the job-submission routes whose body the jobs controller streams and decodes itself
 * (`decodedBody`/`source` in libs/analysis/src/jobs/jobs.controller.ts, json-body-stream.ts): their gzip and
 * nesting handling is being rewritten by the lead in main (issue 10, "submissions that cannot exhaust the
 * pool"). Only those cases, on only those two routes, are excused here, until that fix lands; every other
 * route is held to the full rule. Empty this list when the lead's rewrite is merged.
 */
const LEAD_OWNED: RegExp[] = [
  // `decodedBody` pipes the request into a zlib stream with no 'error' listener: a corrupt body is an uncaught
  // Z_DATA_ERROR (the API process survives it through its process guard, but the request gets a 500 or none).
  /^encoding: (corrupt (gzip|deflate|br)|truncated gzip)$/,
  /^framing: truncated gzip, client gone$/,
];

export function isLeadOwnedJobsCase(c: FuzzCase): boolean {
  if (c.operation !== 'POST /api/v1/jobs' && c.operation !== 'POST /api/v1/jobs/estimate') return false;
  return LEAD_OWNED.some((pattern) => pattern.test(c.kind));
}
