// `delivery.updated` carries only the new status: it goes into the cached deliveries at once, and the post's
// deliveries are read again for what the event does not carry (remote link, attempts, last error).
import type { QueryClient } from '@tanstack/react-query';
import type { DeliveryUpdatedEvent, DeliveryView, PublishResponse } from '@margin/contracts';
import { deliveriesQueryKey, postListQueryKey, postQueryKey } from './postsApi';

/** Whether the cached deliveries of the event's post already hold the delivery (false: nothing cached, or a new one). */
export function applyDeliveryUpdate(queryClient: QueryClient, event: DeliveryUpdatedEvent): boolean {
  let known = false;
  queryClient.setQueryData<DeliveryView[]>(deliveriesQueryKey(event.postId), (deliveries) => {
    if (!deliveries) return deliveries;
    return deliveries.map((delivery) => {
      if (delivery.id !== event.deliveryId) return delivery;
      known = true;
      return delivery.status === event.status ? delivery : { ...delivery, status: event.status };
    });
  });
  return known;
}

/** After POST /publish: the answered statuses show before the full deliveries arrive. */
export function applyPublishResponse(queryClient: QueryClient, postId: string, response: PublishResponse): void {
  queryClient.setQueryData<DeliveryView[]>(deliveriesQueryKey(postId), (deliveries) => {
    if (!deliveries) return deliveries;
    const byId = new Map(response.deliveries.map((delivery) => [delivery.id, delivery]));
    return deliveries.map((delivery) => {
      const answered = byId.get(delivery.id);
      return answered ? { ...delivery, status: answered.status } : delivery;
    });
  });
}

/** Reads the post's deliveries again, and the post (its status follows its deliveries: scheduled, published). */
export function refreshPublishing(queryClient: QueryClient, postId: string): Promise<void> {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: deliveriesQueryKey(postId) }),
    queryClient.invalidateQueries({ queryKey: postQueryKey(postId) }),
    queryClient.invalidateQueries({ queryKey: postListQueryKey }),
  ]).then(() => undefined);
}
