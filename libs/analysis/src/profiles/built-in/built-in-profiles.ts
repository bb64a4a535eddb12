import type { ProfileDefinition } from '../../pipeline/pipeline.types';
import { BLOG_POST } from './blog-post';
import { QUALITY_ASSESSMENT } from './quality-assessment';
import { SONG_ANALYSIS } from './song-analysis';

// Cached results are keyed by profile key and version: changing a built-in's prompts or schemas in a way
// that changes its answers means a new version, or old answers keep being served.
export const BUILT_IN_PROFILES: readonly ProfileDefinition[] = [SONG_ANALYSIS, BLOG_POST, QUALITY_ASSESSMENT];

export function builtInProfile(key: string): ProfileDefinition | undefined {
  return BUILT_IN_PROFILES.find((p) => p.key === key);
}
