import { randomUUID } from 'node:crypto';
import { TEST_REDIS_URL } from '@margin/testing';
import Redis from 'ioredis';
import { ItemStepCheckpoints } from './step-checkpoints';

describe('ItemStepCheckpoints (Redis)', () => {
  let redis: Redis;
  let checkpoints: ItemStepCheckpoints;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
    checkpoints = new ItemStepCheckpoints(redis);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('keeps an item’s answered steps exactly (bigint cost included) until the item is cleared, and expires them', async () => {
    const itemId = randomUUID();
    const store = checkpoints.forItem(itemId);
    expect((await store.load()).size).toBe(0);
    const cost = 123_456_789_012_345_678n;
    await store.save('outline:0', {
      output: { sections: [1, 2] },
      model: 'ollama/qwen3:8b',
      provider: 'ollama',
      costPico: cost,
      emulated: true,
      premiumCostPico: 987_654_321_098_765_432n,
    });
    await store.save('research:0', { output: { angle: 'x' }, model: 'openai/gpt-4o-mini', provider: 'openai', costPico: 0n, emulated: false });

    const loaded = await checkpoints.forItem(itemId).load();
    expect([...loaded.keys()].sort()).toEqual(['outline:0', 'research:0']);
    expect(loaded.get('outline:0')).toEqual({
      output: { sections: [1, 2] },
      model: 'ollama/qwen3:8b',
      provider: 'ollama',
      costPico: cost,
      emulated: true,
      premiumCostPico: 987_654_321_098_765_432n,
    });
    // a step saved without a counterfactual loads with none
    expect(loaded.get('research:0')?.premiumCostPico).toBeNull();
    const ttl = await redis.ttl(`margin:item-steps:${itemId}`);
    expect(ttl).toBeGreaterThan(6 * 24 * 3600);

    // another item sees none of them
    expect((await checkpoints.forItem(randomUUID()).load()).size).toBe(0);

    await checkpoints.clear(itemId);
    expect((await store.load()).size).toBe(0);
  });

  it('ignores an entry it cannot read instead of failing the item', async () => {
    const itemId = randomUUID();
    await redis.hset(`margin:item-steps:${itemId}`, 'draft:0', '{not json', 'assess:0', JSON.stringify({ model: 'm', provider: 'p', costPico: '-1' }));
    expect((await checkpoints.forItem(itemId).load()).size).toBe(0);
    await checkpoints.clear(itemId);
  });
});
