import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import type { EventData, EventEnvelope, EventType } from '@tally/contracts';
import type { EventConsumer, EventHandler, HandlerContext } from '@tally/messaging';
import { Page } from '@tally/service-kit';
import { ActivityLog } from './activity-log.entity';
import { ActivityLogRepository, NewActivityLog, insertActivityLog } from './activity-log.repository';

export interface ActivityView {
  id: string;
  /** The event type, e.g. `user.email_verified`. */
  action: string;
  /** The aggregate the action was on, e.g. `user`, and its id. */
  objectType: string | null;
  objectId: string | null;
  objectRepr: string | null;
  changes: Record<string, unknown>;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string;
}

/**
 * Event types that write an audit row. Only topics every service may read: `email_verification.requested`
 * (it carries a token) and `signing_key.published` (no user, infrastructure) are deliberately not audited.
 */
export const AUDITED_EVENT_TYPES: readonly EventType[] = ['user.registered', 'user.email_verified'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keys never copied into `changes`, compared lowercase without `_`, `-`; plus any key ending in token/secret/password. */
const SECRET_KEYS = new Set([
  'password', 'passwordhash', 'pin', 'otp', 'cvv', 'cvc', 'secret', 'apikey', 'privatekey', 'privatejwk',
  'authorization', 'cookie', 'accountnumber', 'cardnumber', 'iban',
]);

function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[_-]/g, '');
  return SECRET_KEYS.has(k) || /(token|secret|password)$/.test(k);
}

/** A copy of `value` without secret-named keys, at any depth. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (!isSecretKey(k)) out[k] = redactSecrets(v);
  return out;
}

function uuidOrNull(value: unknown): string | null {
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : null;
}

/** A value PostgreSQL's INET accepts, or null (a bad address must not make the event fail forever). */
function ipOrNull(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ip = value.trim().split('%')[0];
  return isIP(ip) ? ip : null;
}

function textOrNull(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length ? value.slice(0, max) : null;
}

/**
 * Maps an event to its audit row: the acting user (the actor, else the user the event is about, as for a
 * self-registration, which has no authenticated actor), action = event type, object = aggregate and subject,
 * where from = the actor's ip and user agent, changes = the data without secrets, time = the event's time.
 */
export function activityFromEvent(event: EventEnvelope): NewActivityLog {
  const data = event.data && typeof event.data === 'object' && !Array.isArray(event.data) ? (event.data as Record<string, unknown>) : {};
  return {
    id: event.id,
    userId: uuidOrNull(event.actor?.userId) ?? uuidOrNull(data.userId),
    action: event.type,
    contentType: event.type.slice(0, event.type.indexOf('.')).slice(0, 50) || null,
    objectId: event.subject,
    objectRepr: textOrNull(data.username, 200) ?? textOrNull(data.name, 200) ?? textOrNull(data.title, 200),
    changes: redactSecrets(data) as Record<string, unknown>,
    ipAddress: ipOrNull(event.actor?.ip),
    userAgent: textOrNull(event.actor?.userAgent, 1000),
    createdAt: event.time,
  };
}

async function recordActivity(event: EventEnvelope, ctx: HandlerContext): Promise<void> {
  await insertActivityLog(ctx.em, activityFromEvent(event));
}

/**
 * Lets `register` add its handlers to `consumer` (which takes one handler per event type), each audited type's
 * handler then also writing the audit row, in the same transaction. Audited types `register` has no handler for
 * get one that only writes the audit row. So the shared identity projections are reused as they are, not copied.
 */
export function registerWithActivityLog(
  consumer: EventConsumer,
  register: (consumer: EventConsumer) => void,
  audited: readonly EventType[] = AUDITED_EVENT_TYPES,
): void {
  const pending = new Set<EventType>(audited);
  const on = <T extends EventType>(type: T, handler: EventHandler<T>): EventConsumer => {
    if (!pending.delete(type)) return consumer.on(type, handler);
    return consumer.on(type, async (event: EventEnvelope<T, EventData<T>>, ctx: HandlerContext) => {
      await handler(event, ctx);
      await recordActivity(event, ctx);
    });
  };
  const auditing = new Proxy(consumer, {
    get(target, prop) {
      if (prop === 'on') return on;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  register(auditing);
  for (const type of pending) consumer.on(type, recordActivity);
}

export function toActivityView(a: ActivityLog): ActivityView {
  return {
    id: a.id, action: a.action, objectType: a.contentType ?? null, objectId: a.objectId ?? null, objectRepr: a.objectRepr ?? null,
    changes: a.changes, ipAddress: a.ipAddress ?? null, userAgent: a.userAgent ?? null, createdAt: a.createdAt.toISOString(),
  };
}

@Injectable()
export class ActivityLogService {
  constructor(private readonly activity: ActivityLogRepository) {}

  async listForUser(userId: string, limit: number, offset: number): Promise<Page<ActivityView>> {
    const [rows, total] = await this.activity.findForUser(userId, limit, offset);
    return { items: rows.map(toActivityView), total, limit, offset };
  }
}
