import { parseBudgetAlert, parseDeliveryUpdated, parseMetricsAlert } from './progress.types';

describe('parseBudgetAlert', () => {
  it('reads what cost-tracking publishes on EVENTS_CHANNEL', () => {
    const message = JSON.stringify({ type: 'budget.alert', tenantId: 't1', threshold: 0.5, spentUsd: 5.000001, limitUsd: 10 });
    expect(parseBudgetAlert(message)).toEqual({ tenantId: 't1', threshold: 0.5, spentUsd: 5.000001, limitUsd: 10 });
  });

  it.each([
    ['not JSON', '{'],
    ['not an object', '"budget.alert"'],
    ['null', 'null'],
    ['another event type', JSON.stringify({ type: 'provider.down', tenantId: 't1', threshold: 1, spentUsd: 1, limitUsd: 1 })],
    ['no tenant', JSON.stringify({ type: 'budget.alert', threshold: 1, spentUsd: 1, limitUsd: 1 })],
    ['a number as a string', JSON.stringify({ type: 'budget.alert', tenantId: 't1', threshold: '0.8', spentUsd: 1, limitUsd: 1 })],
  ])('ignores %s', (_why, message) => {
    expect(parseBudgetAlert(message)).toBeNull();
  });
});

describe('parseDeliveryUpdated', () => {
  const event = { type: 'delivery.updated', tenantId: 't1', postId: 'p1', deliveryId: 'd1', endpointId: 'e1', status: 'published' };

  it('reads what publishing sends on the events channel', () => {
    expect(parseDeliveryUpdated(JSON.stringify(event))).toEqual({ tenantId: 't1', postId: 'p1', deliveryId: 'd1', endpointId: 'e1', status: 'published' });
  });

  it('ignores other events, an unknown status and malformed messages', () => {
    expect(parseDeliveryUpdated(JSON.stringify({ ...event, type: 'budget.alert' }))).toBeNull();
    expect(parseDeliveryUpdated(JSON.stringify({ ...event, status: 'exploded' }))).toBeNull();
    expect(parseDeliveryUpdated(JSON.stringify({ ...event, tenantId: '' }))).toBeNull();
    expect(parseDeliveryUpdated('{not json')).toBeNull();
  });
});

describe('parseMetricsAlert', () => {
  it('reads a metrics alert and refuses anything malformed', () => {
    expect(parseMetricsAlert(JSON.stringify({ type: 'alert', tenantId: 't1', rule: 'backlog', state: 'firing', value: 3, subject: 'analysis' }))).toEqual({
      tenantId: 't1',
      rule: 'backlog',
      state: 'firing',
      value: 3,
      subject: 'analysis',
    });
    expect(parseMetricsAlert(JSON.stringify({ type: 'alert', tenantId: 't1', rule: 'r', state: 'resolved', value: 0, subject: '' }))).toEqual({
      tenantId: 't1',
      rule: 'r',
      state: 'resolved',
      value: 0,
    });
    expect(parseMetricsAlert(JSON.stringify({ type: 'alert', tenantId: 't1', rule: 'r', state: 'maybe', value: 1 }))).toBeNull();
    expect(parseMetricsAlert(JSON.stringify({ type: 'budget.alert', tenantId: 't1' }))).toBeNull();
    expect(parseMetricsAlert('not json')).toBeNull();
  });
});
