import type { JobCounters } from '@margin/contracts';

/**
 * What the progress feed needs from the jobs side: a job's counters, scoped by tenant. The jobs module
 * provides it (`{ provide: JobCountersReader, useExisting: QueryJobs }`), so this folder does not depend
 * on the jobs implementation.
 */
export abstract class JobCountersReader {
  /** null when the job does not exist or belongs to another tenant (the two are never told apart). */
  abstract counters(tenantId: string, jobId: string): Promise<JobCounters | null>;
}
