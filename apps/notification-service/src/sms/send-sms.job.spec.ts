import type { LockedDelivery } from '../deliveries/delivery-store';
import type { Notification } from '../notifications/notification.entity';
import { decideSms, describeSmsError } from './send-sms.job';
import { SmsRecipientError } from './sms-sender';

const NOW = new Date('2026-12-06T12:00:00.000Z');

function row(over: Partial<LockedDelivery['delivery']> = {}, n: Partial<Notification> | null = {}): LockedDelivery {
  return {
    delivery: {
      id: 'd1', notificationId: 'n1', userId: 'u1', channel: 'sms', target: '', status: 'scheduled', deliverAfter: NOW, digestAt: null,
      attempts: 0, lastError: null, sentAt: null, ...over,
    },
    notification: n === null ? null : ({ id: 'n1', isRead: false, ...n } as Notification),
  };
}
const sms = { to: '+14155550123', body: 'Tally: hi' };

describe('decideSms', () => {
  it('sends a scheduled, due SMS delivery to the number the recipient has now', () => {
    expect(decideSms(row(), sms, NOW)).toEqual({ action: 'send', to: '+14155550123', body: 'Tally: hi' });
  });

  it('leaves alone what is not its to touch: missing, finished, another channel, a digest', () => {
    expect(decideSms(null, sms, NOW)).toEqual({ action: 'ignore', reason: 'delivery_missing' });
    expect(decideSms(row({ status: 'sent' }), sms, NOW)).toEqual({ action: 'ignore', reason: 'already_sent' });
    expect(decideSms(row({ channel: 'push' }), sms, NOW)).toEqual({ action: 'ignore', reason: 'not_sms' });
    expect(decideSms(row({ digestAt: NOW }), sms, NOW)).toEqual({ action: 'ignore', reason: 'digest' });
  });

  it('waits when run before quiet hours end', () => {
    expect(decideSms(row({ deliverAfter: new Date(NOW.getTime() + 60_000) }), sms, NOW)).toEqual({ action: 'wait' });
  });

  it('skips a cleared number or a notification already read in the app', () => {
    expect(decideSms(row(), { ...sms, to: null }, NOW)).toEqual({ action: 'skip', reason: 'no_phone_number' });
    expect(decideSms(row({}, { isRead: true }), sms, NOW)).toEqual({ action: 'skip', reason: 'already_read' });
    expect(decideSms(row({}, null), sms, NOW)).toEqual({ action: 'skip', reason: 'notification_gone' });
  });
});

describe('describeSmsError', () => {
  it('never stores the number whole', () => {
    const err = new SmsRecipientError("SMS provider answered 400 (code 21211): The 'To' number +14155550123 is not a valid phone number.", 'invalid_number', 400, 21211);
    expect(describeSmsError(err, '+14155550123')).toBe("SmsRecipientError: SMS provider answered 400 (code 21211): The 'To' number +*******0123 is not a valid phone number.");
  });
});
