// Points where another module takes part in a job's life without analysis depending on it (layers: publishing
// imports analysis, never the reverse). The module that cares provides the class; analysis finds it through
// the ModuleRef, and without one (an app that does not run publishing) nothing happens.
import type { JobPublishOption } from '@margin/contracts';

/** Checks a submission's `publish` option (endpoints exist, belong to the tenant, are enabled); throws a 4xx DomainError otherwise. */
export abstract class JobPublishCheck {
  abstract check(tenantId: string, option: JobPublishOption): Promise<void>;
}

export interface CompletedItem {
  tenantId: string;
  jobId: string;
  itemId: string;
  profileKey: string;
  publish: JobPublishOption;
}

/** Told, after its completion has committed, about each completed item of a job that carries a `publish` option. */
export abstract class ItemCompletedListener {
  abstract itemCompleted(item: CompletedItem): Promise<void>;
}

/** The profile whose items can become posts (its output: title, slug, excerpt, content). */
export const PUBLISHABLE_PROFILE = 'blog-post';

/** A publishing endpoint as plans see it (to match the targets a request names). */
export interface DirectoryEndpoint {
  id: string;
  name: string;
  type: string;
  enabled: boolean;
}

/** The tenant's publishing endpoints (the publishing module provides it; without it a plan knows none). */
export abstract class EndpointDirectory {
  abstract list(tenantId: string): Promise<DirectoryEndpoint[]>;
}
