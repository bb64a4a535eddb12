import { Listeners } from './listeners';

describe('Listeners', () => {
  it('calls every listener, survives one that throws, and removes a listener', () => {
    const l = new Listeners<number>();
    const seen: number[] = [];
    l.add(() => {
      throw new Error('boom');
    });
    const remove = l.add((n) => seen.push(n));
    l.emit(1);
    remove();
    l.emit(2);
    expect(seen).toEqual([1]);
  });
});
