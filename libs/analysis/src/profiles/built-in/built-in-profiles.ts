import type { ProfileDefinition } from '../../pipeline/pipeline.types';
import { BLOG_POST } from './blog-post';
import { QUALITY_ASSESSMENT } from './quality-assessment';
import { SONG_ANALYSIS } from './song-analysis';

// Cached results are keyed by profile key and version: changing a built-in's prompts or schemas in a way
// that changes its answers means a new version, or old answers keep being served.
export const BUILT_IN_PROFILES: readonly ProfileDefinition[] = [SONG_ANALYSIS, BLOG_POST, QUALITY_ASSESSMENT].map(deepFreeze);

/** Built-ins are shared by every request: nobody may change one in place. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export function builtInProfile(key: string): ProfileDefinition | undefined {
  return BUILT_IN_PROFILES.find((p) => p.key === key);
}
