import { IDENTITY_MIGRATIONS } from '@margin/identity';

/** Every module's schema history, composed into one ordered list for the data source. */
export const MIGRATIONS = [...IDENTITY_MIGRATIONS];
