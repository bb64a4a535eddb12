export * from './targets/publish-target';
export * from './format/markdown';
