import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { UserPhoneChangedData } from '@tally/contracts';

/**
 * The only code that touches `user_phone_numbers`: the projection of auth's `user.phone_changed`
 * (auth.phone-number.v1). An event older than what the row reflects (`last_event_at`) is ignored.
 * The number is personal data: stored, never logged whole, and leaves only towards the SMS provider.
 */
@Injectable()
export class PhoneNumberRepository {
  /** Applies one event; false when it was older than the row and changed nothing. */
  async apply(em: EntityManager, d: UserPhoneChangedData, at: string): Promise<boolean> {
    const res = await em.getConnection().execute<{ affectedRows: number }>(
      `INSERT INTO user_phone_numbers (user_id, phone_number, last_event_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET phone_number = EXCLUDED.phone_number, last_event_at = EXCLUDED.last_event_at, updated_at = now()
       WHERE user_phone_numbers.last_event_at <= EXCLUDED.last_event_at`,
      [d.userId, d.phoneNumber, at], 'run', em.getTransactionContext(),
    );
    return res.affectedRows > 0;
  }

  /** Each user's phone number, for those who have one. */
  async forUsers(em: EntityManager, userIds: readonly string[]): Promise<Map<string, string>> {
    const ids = [...new Set(userIds)];
    if (!ids.length) return new Map();
    const rows = await em.getConnection().execute<{ user_id: string; phone_number: string }[]>(
      `SELECT user_id, phone_number FROM user_phone_numbers WHERE phone_number IS NOT NULL AND user_id IN (?)`, [ids], 'all', em.getTransactionContext(),
    );
    return new Map(rows.map((r) => [r.user_id, r.phone_number]));
  }
}
