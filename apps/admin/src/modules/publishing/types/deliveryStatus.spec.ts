import { makeDelivery } from '../../../testing/fixtures';
import { canRetry } from './deliveryStatus';

it('offers a retry for failed deliveries and for those waiting out a backoff', () => {
  expect(canRetry(makeDelivery({ status: 'failed', attempts: 5 }))).toBe(true);
  expect(canRetry(makeDelivery({ status: 'pending', attempts: 2, nextAttemptAt: '2025-03-03T11:05:00.000Z' }))).toBe(true);
  expect(canRetry(makeDelivery({ status: 'pending', attempts: 0 }))).toBe(false);
  expect(canRetry(makeDelivery({ status: 'publishing', attempts: 1 }))).toBe(false);
  expect(canRetry(makeDelivery({ status: 'published', attempts: 1 }))).toBe(false);
  expect(canRetry(makeDelivery({ status: 'scheduled' }))).toBe(false);
});
