// Module resolve hook (runs on Node's loader thread): `@hono/node-server` → hono-serve-loopback.mjs, except
// for the wrapper's own import of the real module.
const WRAPPER = new URL('./hono-serve-loopback.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === '@hono/node-server' && context.parentURL !== WRAPPER) {
    return { url: WRAPPER, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
