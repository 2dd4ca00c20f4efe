import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import type { EventEnvelope } from '@tally/contracts';
import { Page } from '@tally/service-kit';
import { ActivityLog } from './activity-log.entity';
import { ActivityLogRepository, NewActivityLog } from './activity-log.repository';

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
    objectRepr: textOrNull(data.username, 200) ?? textOrNull(data.name, 200) ?? textOrNull(data.title, 200) ?? textOrNull(data.expenseTitle, 200),
    changes: redactSecrets(data) as Record<string, unknown>,
    ipAddress: ipOrNull(event.actor?.ip),
    userAgent: textOrNull(event.actor?.userAgent, 1000),
    createdAt: event.time,
  };
}

export function toActivityView(a: ActivityLog): ActivityView {
  return {
    id: a.id, action: a.action, objectType: a.contentType ?? null, objectId: a.objectId ?? null, objectRepr: a.objectRepr ?? null,
    changes: a.changes, ipAddress: a.ipAddress ?? null, userAgent: a.userAgent ?? null, createdAt: a.createdAt.toISOString(),
  };
}

@Injectable()
export class ActivityLogService {
  constructor(private readonly orm: MikroORM, private readonly activity: ActivityLogRepository) {}

  async listForUser(userId: string, limit: number, offset: number): Promise<Page<ActivityView>> {
    const [rows, total] = await this.activity.findForUser(freshEm(this.orm), userId, limit, offset);
    return { items: rows.map(toActivityView), total, limit, offset };
  }
}
