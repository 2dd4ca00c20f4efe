import { NotificationLog } from './delivery/notification-log.entity';
import { Notification } from './notifications/notification.entity';
import { NotificationPreference } from './preferences/notification-preference.entity';
import { NotificationTemplate } from './templates/notification-template.entity';

/** Every entity of the notification database; the API and the worker use the same list. */
export const entities = [Notification, NotificationLog, NotificationPreference, NotificationTemplate];
