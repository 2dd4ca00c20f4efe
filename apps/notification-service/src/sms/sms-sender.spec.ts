import { SmsPermanentError, SmsRecipientError, SmsRetryableError, maskPhone, maskPhonesIn, smsErrorFor } from './sms-sender';

describe('smsErrorFor', () => {
  it('fails numbers Twilio will never deliver to without retry, with the reason', () => {
    expect(smsErrorFor(400, 21211, 'invalid')).toMatchObject({ constructor: SmsRecipientError, reason: 'invalid_number', status: 400, code: 21211 });
    expect(smsErrorFor(400, 21610, 'STOP')).toMatchObject({ constructor: SmsRecipientError, reason: 'unsubscribed' });
    expect(smsErrorFor(400, 21614, 'landline')).toMatchObject({ constructor: SmsRecipientError, reason: 'invalid_number' });
    expect(smsErrorFor(400, 21408, 'region')).toMatchObject({ constructor: SmsRecipientError, reason: 'unreachable' });
  });

  it('retries rate limits, server errors and no answer at all', () => {
    for (const status of [408, 429, 500, 502, 503]) expect(smsErrorFor(status, undefined, '')).toBeInstanceOf(SmsRetryableError);
    expect(smsErrorFor(undefined, undefined, 'ECONNRESET')).toBeInstanceOf(SmsRetryableError);
    expect(smsErrorFor(400, 20429, 'too many requests')).toBeInstanceOf(SmsRetryableError);
  });

  it('dead-letters what retrying cannot fix: bad credentials, a bad sender, a malformed request', () => {
    expect(smsErrorFor(401, 20003, 'Authenticate')).toBeInstanceOf(SmsPermanentError);
    expect(smsErrorFor(400, 21212, "invalid 'From'")).toBeInstanceOf(SmsPermanentError);
    expect(smsErrorFor(404, 20404, 'not found')).toBeInstanceOf(SmsPermanentError);
    expect(smsErrorFor(400, 21211, 'x').message).toBe('SMS provider answered 400 (code 21211): x');
  });
});

describe('maskPhone', () => {
  it('keeps only the last 4 digits', () => {
    expect(maskPhone('+14155550123')).toBe('+*******0123');
    expect(maskPhone('+4930123456')).toBe('+******3456');
    expect(maskPhone('12345')).toBe('*****');
  });

  it('masks the number, and any E.164 number, quoted in a provider error', () => {
    const text = "The 'To' number +14155550123 is not a valid phone number; also +49 30 123456 and id 123e4567";
    const out = maskPhonesIn(text, '+14155550123');
    expect(out).toBe("The 'To' number +*******0123 is not a valid phone number; also +******3456 and id 123e4567");
    expect(out).not.toMatch(/41555/);
  });
});
