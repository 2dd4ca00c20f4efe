import { NotConfiguredSmsSender, SmsNotConfiguredError } from './sms-sender';
import { smsSenderFrom } from './sms-config';
import { TwilioSmsSender } from './twilio.sms-sender';

const logger = { info: jest.fn(), warn: jest.fn() };
const creds = { TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'x'.repeat(32), SMS_TIMEOUT_MS: 5000 };

describe('smsSenderFrom', () => {
  it('skips SMS without credentials instead of failing the start', async () => {
    const sender = smsSenderFrom({ SMS_TIMEOUT_MS: 5000 }, true, logger);
    expect(sender).toBeInstanceOf(NotConfiguredSmsSender);
    await expect(sender.send({ to: '+14155550123', body: 'x', reference: 'r' })).rejects.toBeInstanceOf(SmsNotConfiguredError);
  });

  it('uses Twilio with credentials and one sender, and refuses half a configuration', () => {
    expect(smsSenderFrom({ ...creds, TWILIO_FROM: '+15005550006' }, true, logger)).toBeInstanceOf(TwilioSmsSender);
    expect(smsSenderFrom({ ...creds, TWILIO_MESSAGING_SERVICE_SID: `MG${'0'.repeat(32)}` }, true, logger)).toBeInstanceOf(TwilioSmsSender);
    expect(() => smsSenderFrom({ ...creds }, false, logger)).toThrow(/exactly one of TWILIO_FROM/);
    expect(() => smsSenderFrom({ TWILIO_ACCOUNT_SID: creds.TWILIO_ACCOUNT_SID, SMS_TIMEOUT_MS: 5000 }, false, logger)).toThrow(/both/);
  });

  it('refuses a fake API base in production', () => {
    expect(() => smsSenderFrom({ ...creds, TWILIO_FROM: '+15005550006', TWILIO_API_BASE: 'http://127.0.0.1:9999' }, true, logger)).toThrow(/not production/);
    expect(smsSenderFrom({ ...creds, TWILIO_FROM: '+15005550006', TWILIO_API_BASE: 'http://127.0.0.1:9999' }, false, logger)).toBeInstanceOf(TwilioSmsSender);
  });
});
