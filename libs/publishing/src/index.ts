export * from './targets/publish-target';
