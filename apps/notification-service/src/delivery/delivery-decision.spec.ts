import { DeliverySubject, decideEmailDelivery } from './delivery-decision';

const now = new Date('2026-11-22T12:00:00Z');
const pending = (over: Partial<DeliverySubject> = {}): DeliverySubject => ({
  id: 'n1', isSent: false, deliveryStatus: 'pending', deliveryChannels: ['email'], recipient: 'ann@example.com',
  expiresAt: new Date('2026-11-23T12:00:00Z'), ...over,
});

describe('decideEmailDelivery', () => {
  it('sends a pending email notification', () => {
    expect(decideEmailDelivery(pending(), now)).toEqual({ action: 'send' });
  });

  it('never sends a notification already sent (is_sent or status)', () => {
    expect(decideEmailDelivery(pending({ isSent: true, deliveryStatus: 'sent' }), now)).toEqual({ action: 'skip', reason: 'already_sent' });
    expect(decideEmailDelivery(pending({ isSent: true }), now)).toEqual({ action: 'skip', reason: 'already_sent' });
    expect(decideEmailDelivery(pending({ deliveryStatus: 'sent' }), now)).toEqual({ action: 'skip', reason: 'already_sent' });
  });

  it('skips a missing, dead-lettered, expired or cancelled notification', () => {
    expect(decideEmailDelivery(null, now)).toEqual({ action: 'skip', reason: 'not_found' });
    expect(decideEmailDelivery(pending({ deliveryStatus: 'failed' }), now)).toEqual({ action: 'skip', reason: 'dead_lettered' });
    expect(decideEmailDelivery(pending({ deliveryStatus: 'expired' }), now)).toEqual({ action: 'skip', reason: 'expired' });
    expect(decideEmailDelivery(pending({ deliveryStatus: 'cancelled' }), now)).toEqual({ action: 'skip', reason: 'cancelled' });
  });

  it('expires a pending notification past its expiry instead of sending it', () => {
    expect(decideEmailDelivery(pending({ expiresAt: now }), now)).toEqual({ action: 'expire' });
    expect(decideEmailDelivery(pending({ expiresAt: null }), now)).toEqual({ action: 'send' });
  });

  it('rejects what can never be emailed', () => {
    expect(decideEmailDelivery(pending({ deliveryChannels: ['push'] }), now).action).toBe('reject');
    expect(decideEmailDelivery(pending({ recipient: null }), now).action).toBe('reject');
  });
});
