/**
 * A mock that fails loudly on any call the test did not expect (Immich's pattern): only the methods given
 * exist; touching anything else throws, so a service cannot quietly do more than the test says.
 */
export function strictMock<T extends object>(impl: { [K in keyof T]?: T[K] } = {}, name = 'mock'): jest.Mocked<T> {
  const target = impl as Record<string | symbol, unknown>;
  for (const key of Object.keys(target)) {
    const value = target[key];
    if (typeof value === 'function' && !jest.isMockFunction(value)) target[key] = jest.fn(value as (...args: unknown[]) => unknown);
  }
  return new Proxy(target, {
    get(obj, prop) {
      if (prop in obj) return obj[prop];
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      throw new Error(`Unexpected use of ${name}.${String(prop)}`);
    },
  }) as jest.Mocked<T>;
}
