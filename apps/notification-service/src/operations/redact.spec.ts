import { maskEmail, maskRecipient, redactForAdmin } from './redact';

describe('what an admin sees of a delivery target and its errors', () => {
  it('keeps the first letter and the domain of an email address', () => {
    expect(maskEmail('bob.smith@example.com')).toBe('b***@example.com');
    expect(maskRecipient('Ann+tally@mail.example.org')).toBe('A***@mail.example.org');
  });

  it('keeps only the last two digits of a phone number', () => {
    expect(maskRecipient('+351912345678')).toBe('+**********78');
    expect(redactForAdmin('provider refused +1 (415) 555-0134: unreachable')).toBe('provider refused +*********34: unreachable');
  });

  it("keeps a push endpoint's origin, never its path (the subscription's secret part)", () => {
    expect(maskRecipient('https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bHun4MxP5 (7f0c…)')).toBe('https://fcm.googleapis.com (7f0c…)');
    expect(redactForAdmin('410 from https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk')).toBe('410 from https://updates.push.services.mozilla.com');
  });

  it('leaves ids, dates and status codes alone and redacts token-like strings', () => {
    expect(redactForAdmin('550 5.1.1 at 2026-12-06 12:00 for 7d6f1c1e-9a3b-4c55-8a8e-3f9b2a1d0c44')).toBe('550 5.1.1 at 2026-12-06 12:00 for 7d6f1c1e-9a3b-4c55-8a8e-3f9b2a1d0c44');
    expect(redactForAdmin('auth failed for key sk_live_51HxYzAbCdEfGhIjKlMn0123')).not.toContain('sk_live_51HxYzAbCdEfGhIjKlMn0123');
    expect(redactForAdmin(null)).toBeNull();
    expect(maskRecipient('')).toBeNull();
  });
});
