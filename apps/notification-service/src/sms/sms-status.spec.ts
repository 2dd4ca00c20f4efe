import { callbackErrorText, formParams, readStatusCallback } from './sms-status';
import { statusCallbackUrl } from './twilio.sms-sender';

const SID = `SM${'a1'.repeat(16)}`;

describe('readStatusCallback', () => {
  it.each([
    ['queued', 'sent'], ['sending', 'sent'], ['sent', 'sent'], ['accepted', 'sent'],
    ['delivered', 'delivered'], ['read', 'delivered'],
    ['undelivered', 'failed'], ['failed', 'failed'], ['canceled', 'failed'],
    ['receiving', null], ['received', null], ['some_future_status', null],
  ])('reads MessageStatus %s as %s for the log row', (status, target) => {
    expect(readStatusCallback({ MessageSid: SID, MessageStatus: status, AccountSid: 'AC1', ApiVersion: '2010-04-01' })).toEqual({
      sid: SID, providerStatus: status, target, errorCode: null,
    });
  });

  it('takes the error code of a failed message, and the older SmsSid/SmsStatus names', () => {
    expect(readStatusCallback({ SmsSid: SID, SmsStatus: 'undelivered', ErrorCode: '30003' })).toMatchObject({ target: 'failed', errorCode: 30003 });
    expect(readStatusCallback({ MessageSid: SID, MessageStatus: 'delivered', ErrorCode: '' })).toMatchObject({ errorCode: null });
  });

  it.each([
    [{ MessageStatus: 'delivered' }, /MessageSid/],
    [{ MessageSid: 'SM123', MessageStatus: 'delivered' }, /MessageSid/],
    [{ MessageSid: [SID, SID], MessageStatus: 'delivered' }, /MessageSid/],
    [{ MessageSid: SID }, /MessageStatus/],
    [{ MessageSid: SID, MessageStatus: 'DELIVERED' }, /MessageStatus/],
    [{ MessageSid: SID, MessageStatus: 'failed', ErrorCode: '30003x' }, /ErrorCode/],
  ])('says why %j is malformed', (form, why) => {
    expect(readStatusCallback(form as Record<string, unknown>)).toEqual(expect.stringMatching(why));
  });
});

describe('callbackErrorText', () => {
  it('names the status, the code and what Twilio says it means', () => {
    expect(callbackErrorText({ sid: SID, providerStatus: 'undelivered', target: 'failed', errorCode: 30007 }))
      .toBe('Twilio reported the message undelivered (error 30007: message filtered by the carrier)');
    expect(callbackErrorText({ sid: SID, providerStatus: 'failed', target: 'failed', errorCode: 12345 })).toBe('Twilio reported the message failed (error 12345)');
    expect(callbackErrorText({ sid: SID, providerStatus: 'canceled', target: 'failed', errorCode: null })).toBe('Twilio reported the message canceled');
  });
});

describe('formParams', () => {
  it('keeps string fields and repeated ones, and refuses what is not a form', () => {
    expect(formParams({ a: '1', b: ['2', '3'] })).toEqual({ a: '1', b: ['2', '3'] });
    expect(formParams({ a: 1 })).toBeNull();
    expect(formParams({ a: { b: '1' } })).toBeNull();
    expect(formParams(['a'])).toBeNull();
    expect(formParams(null)).toBeNull();
    expect(formParams('MessageSid=SM1')).toBeNull();
  });
});

describe('statusCallbackUrl', () => {
  it('adds the delivery as deliveryId to the configured URL, keeping its own query', () => {
    expect(statusCallbackUrl('https://api.tally.example/callbacks/sms/twilio', 'd-1')).toBe('https://api.tally.example/callbacks/sms/twilio?deliveryId=d-1');
    expect(statusCallbackUrl('https://api.tally.example/callbacks/sms/twilio?x=1', 'd-1')).toBe('https://api.tally.example/callbacks/sms/twilio?x=1&deliveryId=d-1');
  });
});
