import { NotificationLog } from './delivery/notification-log.entity';
import { Notification } from './notifications/notification.entity';

/** Every entity of the notification database; the API and the worker use the same list. */
export const entities = [Notification, NotificationLog];
