import { ANALYSIS_MIGRATIONS } from '@margin/analysis';
import { COST_TRACKING_MIGRATIONS } from '@margin/cost-tracking';
import { IDENTITY_MIGRATIONS } from '@margin/identity';
import { METRICS_MIGRATIONS } from '@margin/metrics';
import { MODEL_ROUTER_MIGRATIONS } from '@margin/model-router';
import { PROVIDERS_MIGRATIONS } from '@margin/providers';
import { PUBLISHING_MIGRATIONS } from '@margin/publishing';
import { TRAINING_MIGRATIONS } from '@margin/training';

/** Every module's schema history, composed into one ordered list for the data source. */
export const MIGRATIONS = [
  ...IDENTITY_MIGRATIONS,
  ...PROVIDERS_MIGRATIONS,
  ...MODEL_ROUTER_MIGRATIONS,
  ...COST_TRACKING_MIGRATIONS,
  ...ANALYSIS_MIGRATIONS,
  ...PUBLISHING_MIGRATIONS,
  ...METRICS_MIGRATIONS,
  ...TRAINING_MIGRATIONS,
];
// TypeORM orders them by the timestamp in each class name, whichever module they come from.
