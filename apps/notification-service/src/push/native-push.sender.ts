import { PushNotConfiguredError, PushPayload, PushSender, PushSent, PushTarget } from './push-sender';

/**
 * iOS (APNs) and Android (FCM) behind the same port, not configured yet: every send reports
 * "not configured" and the job logs the attempt as `skipped`. To add one later: an APNs adapter
 * (token-based auth: key id, team id, .p8 key; HTTP/2 to api.push.apple.com, 410 → Gone) or an FCM
 * HTTP v1 adapter (service account; UNREGISTERED → Gone), selected by deviceType in `RoutingPushSender`.
 */
export class NotConfiguredPushSender implements PushSender {
  constructor(private readonly platform: string) {}

  async send(_device: PushTarget, _payload: PushPayload): Promise<PushSent> {
    throw new PushNotConfiguredError(`${this.platform} push is not configured`);
  }
}

/** Picks the adapter by device type. */
export class RoutingPushSender implements PushSender {
  constructor(private readonly byType: Record<PushTarget['deviceType'], PushSender>) {}

  send(device: PushTarget, payload: PushPayload): Promise<PushSent> {
    return this.byType[device.deviceType].send(device, payload);
  }
}
