// `npm run build`: the API, the worker and the admin SPA into dist/.
import { ensureDependencies } from './lib/deps.mjs';

ensureDependencies();
const { build } = await import('./lib/build.mjs');
build(process.argv.slice(2).length ? process.argv.slice(2) : undefined);
