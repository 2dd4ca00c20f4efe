import { Histogram, Registry } from 'prom-client';
import type { DeliveryStoreHooks } from '../deliveries/delivery-store';

/**
 * `notification_delivery_latency_seconds{channel}`: from when a planned delivery could go (its
 * notification's creation, or the end of the recipient's quiet hours, or an admin's replay) to when
 * its provider accepted it, observed by the notification-worker once the `sent` row is committed.
 * Digests are not in it (they wait for their hour by design).
 */
export function deliveryLatencyHooks(registry: Registry): Required<DeliveryStoreHooks> {
  const latency = new Histogram({
    name: 'notification_delivery_latency_seconds',
    help: 'Planned deliveries: from when each could go to sent, by channel',
    labelNames: ['channel'],
    registers: [registry],
    buckets: [0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600],
  });
  return { onSent: ({ channel, latencySeconds }) => latency.observe({ channel }, latencySeconds) };
}
