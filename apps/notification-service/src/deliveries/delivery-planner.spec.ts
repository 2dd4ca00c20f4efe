import { PlannerClock, PlannerPreference, PlannerRecipient, planDelivery } from './delivery-planner';

const NOW = new Date('2026-12-06T23:30:00.000Z');
const QUIET_END = new Date('2026-12-07T07:00:00.000Z');
const DIGEST = new Date('2026-12-07T08:00:00.000Z');

/** Quiet hours always "22:00–07:00 UTC" here: NOW is inside, DIGEST outside. */
const clock: PlannerClock = {
  now: NOW,
  quietHoursEnd: (at) => (at.getTime() < QUIET_END.getTime() ? QUIET_END : null),
  nextDigestAt: () => DIGEST,
};

const pref = (over: Partial<PlannerPreference> = {}): PlannerPreference => ({ enabled: true, channels: ['in_app', 'email', 'push'], quietHours: null, frequency: 'immediate', ...over });
const ann = (over: Partial<PlannerRecipient> = {}): PlannerRecipient => ({ timezone: 'UTC', email: 'ann@example.com', emailVerified: true, pushDevices: ['d2', 'd1'], ...over });

describe('planDelivery', () => {
  it('sends at once on every chosen channel, one push per device', () => {
    const plan = planDelivery('normal', pref(), ann(), clock);
    expect(plan).toEqual({
      store: true,
      channels: ['in_app', 'email', 'push'],
      deliveries: [
        { channel: 'email', target: '', deliverAfter: NOW, digestAt: null },
        { channel: 'push', target: 'd1', deliverAfter: NOW, digestAt: null },
        { channel: 'push', target: 'd2', deliverAfter: NOW, digestAt: null },
      ],
    });
  });

  it('produces nothing for a disabled type or a muted group, except urgent ones in a muted group', () => {
    expect(planDelivery('urgent', pref({ enabled: false }), ann(), clock)).toEqual({ store: false, channels: [], deliveries: [] });
    expect(planDelivery('high', pref(), ann({ groupMuted: true }), clock).store).toBe(false);
    expect(planDelivery('urgent', pref(), ann({ groupMuted: true }), clock).store).toBe(true);
  });

  it('holds outbound channels until quiet hours end, but never in-app, and never an urgent one', () => {
    const quiet = pref({ quietHours: { start: '22:00', end: '07:00' } });
    const plan = planDelivery('high', quiet, ann(), clock);
    expect(plan.channels).toEqual(['in_app', 'email', 'push']);
    expect(plan.deliveries.map((d) => d.deliverAfter)).toEqual([QUIET_END, QUIET_END, QUIET_END]);
    expect(planDelivery('urgent', quiet, ann(), clock).deliveries.map((d) => d.deliverAfter)).toEqual([NOW, NOW, NOW]);
  });

  it('gathers emails into a digest and sends no push under a digest frequency', () => {
    const plan = planDelivery('normal', pref({ frequency: 'daily' }), ann(), clock);
    expect(plan).toEqual({ store: true, channels: ['in_app', 'email'], deliveries: [{ channel: 'email', target: '', deliverAfter: DIGEST, digestAt: DIGEST }] });
    // urgent ignores the frequency limit
    expect(planDelivery('urgent', pref({ frequency: 'daily' }), ann(), clock).deliveries.map((d) => d.digestAt)).toEqual([null, null, null]);
  });

  it('emails only a verified address and lists only the channels that really go out', () => {
    const plan = planDelivery('normal', pref({ channels: ['email', 'push', 'sms'] }), ann({ emailVerified: false, pushDevices: [] }), clock);
    expect(plan).toEqual({ store: false, channels: [], deliveries: [] });
    expect(planDelivery('normal', pref({ channels: ['email'] }), ann(), clock).channels).toEqual(['email']);
    expect(planDelivery('normal', pref({ channels: [] }), ann(), clock).store).toBe(false);
  });

  it('texts one SMS when the channel is chosen and the recipient has a phone number, at once or when quiet hours end', () => {
    const withPhone = ann({ phoneNumber: '+4930123456' });
    expect(planDelivery('normal', pref({ channels: ['in_app', 'sms'] }), withPhone, clock)).toEqual({
      store: true, channels: ['in_app', 'sms'], deliveries: [{ channel: 'sms', target: '', deliverAfter: NOW, digestAt: null }],
    });
    const quiet = pref({ channels: ['sms'], quietHours: { start: '22:00', end: '07:00' } });
    expect(planDelivery('high', quiet, withPhone, clock).deliveries).toEqual([{ channel: 'sms', target: '', deliverAfter: QUIET_END, digestAt: null }]);
    expect(planDelivery('urgent', quiet, withPhone, clock).deliveries).toEqual([{ channel: 'sms', target: '', deliverAfter: NOW, digestAt: null }]);
  });

  it('plans no SMS without a phone number, when SMS is not chosen, or under a digest frequency (urgent ones still go)', () => {
    expect(planDelivery('normal', pref({ channels: ['sms'] }), ann({ phoneNumber: null }), clock)).toEqual({ store: false, channels: [], deliveries: [] });
    expect(planDelivery('normal', pref(), ann({ phoneNumber: '+4930123456' }), clock).deliveries.map((d) => d.channel)).toEqual(['email', 'push', 'push']);
    const daily = pref({ channels: ['in_app', 'sms'], frequency: 'daily' });
    expect(planDelivery('normal', daily, ann({ phoneNumber: '+4930123456' }), clock)).toEqual({ store: true, channels: ['in_app'], deliveries: [] });
    expect(planDelivery('urgent', daily, ann({ phoneNumber: '+4930123456' }), clock).channels).toEqual(['in_app', 'sms']);
  });
});
