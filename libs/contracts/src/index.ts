export * from './identity';
export * from './errors';
export * from './health';
export * from './queues';
export * from './providers';
export * from './chat';
export * from './costs';
export * from './analysis';
