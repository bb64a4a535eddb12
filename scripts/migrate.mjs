// `npm run migrate`: apply pending database migrations (builds the API's CLI when needed).
import { ensureDependencies } from './lib/deps.mjs';

ensureDependencies();
const { build } = await import('./lib/build.mjs');
const { migrate, prepareEnvironment } = await import('./lib/stack.mjs');

build(['api']); // cached by Nx when nothing changed
await migrate(await prepareEnvironment());
