import { defaultPreference, effectivePreference } from './preference-policy';

describe('effectivePreference', () => {
  it("is the type's default when the user has no row", () => {
    expect(effectivePreference(null, 'expense_added')).toEqual({ enabled: true, channels: ['in_app', 'email', 'push'], quietHours: null, frequency: 'immediate' });
    expect(effectivePreference(null, 'recurring_expense_generated').channels).toEqual(['in_app']);
  });

  it('is the stored choice, times as HH:MM, channels in the usual order', () => {
    const row = { isEnabled: false, deliveryMethods: ['push', 'in_app'], quietHoursStart: '22:00:00', quietHoursEnd: '07:30:00', frequencyLimit: 'daily' };
    expect(effectivePreference(row, 'expense_added')).toEqual({ enabled: false, channels: ['in_app', 'push'], quietHours: { start: '22:00', end: '07:30' }, frequency: 'daily' });
  });

  it('keeps an empty channel list (the user wants nothing delivered)', () => {
    const row = { isEnabled: true, deliveryMethods: [], quietHoursStart: null, quietHoursEnd: null, frequencyLimit: 'immediate' };
    expect(effectivePreference(row, 'friend_request').channels).toEqual([]);
  });

  it('reads a damaged row safely: unknown channels dropped, half or empty quiet hours none, unknown frequency immediate', () => {
    const row = { isEnabled: true, deliveryMethods: ['email', 'fax', 'email'], quietHoursStart: '22:00:00', quietHoursEnd: null, frequencyLimit: 'monthly' };
    expect(effectivePreference(row, 'friend_request')).toEqual({ enabled: true, channels: ['email'], quietHours: null, frequency: 'immediate' });
    expect(effectivePreference({ ...row, deliveryMethods: 'email', quietHoursEnd: '22:00:00' }, 'friend_request')).toEqual({ enabled: true, channels: [], quietHours: null, frequency: 'immediate' });
  });

  it('ignores any row for an account email: always on, by email, at once', () => {
    const row = { isEnabled: false, deliveryMethods: [], quietHoursStart: '22:00', quietHoursEnd: '07:00', frequencyLimit: 'weekly' };
    expect(effectivePreference(row, 'password_reset')).toEqual({ enabled: true, channels: ['email'], quietHours: null, frequency: 'immediate' });
  });

  it('gives a fresh channel array each time (a caller changing it changes nothing else)', () => {
    const a = defaultPreference('payment_failed');
    a.channels.pop();
    expect(defaultPreference('payment_failed').channels).toEqual(['in_app', 'email', 'push', 'sms']);
  });
});
