/** Injection token for the shared ioredis connection (commands only; Bull opens its own). */
export const REDIS = Symbol('REDIS');
