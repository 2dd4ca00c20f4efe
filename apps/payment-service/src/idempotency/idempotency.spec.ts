import { canonicalJson } from './canonical-json';
import { sendIdempotent } from './idempotency-key.decorator';
import { requestHash } from './idempotency.service';

describe('requestHash', () => {
  it('is the same for the same method, path and body whatever the key order or undefined fields', () => {
    const one = requestHash('post', '/api/v1/settlements', { payerId: 'a', payeeId: 'b', amount: '1.00', nested: { y: 1, x: [2, { b: 1, a: 0 }] } });
    const two = requestHash('POST', '/api/v1/settlements', { nested: { x: [2, { a: 0, b: 1 }], y: 1 }, amount: '1.00', payeeId: 'b', payerId: 'a', notes: undefined });
    expect(one).toBe(two);
    expect(one).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for another body, path or method', () => {
    const base = requestHash('POST', '/a', { amount: '1.00' });
    expect(requestHash('POST', '/a', { amount: '1.0' })).not.toBe(base);
    expect(requestHash('POST', '/b', { amount: '1.00' })).not.toBe(base);
    expect(requestHash('PUT', '/a', { amount: '1.00' })).not.toBe(base);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and writes dates as ISO strings', () => {
    expect(canonicalJson({ b: 1, a: { d: new Date('2026-12-05T00:00:00Z'), c: null } })).toBe('{"a":{"c":null,"d":"2026-12-05T00:00:00.000Z"},"b":1}');
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('sendIdempotent', () => {
  it('sets the status, and Idempotent-Replayed only on a replay', () => {
    const calls: unknown[][] = [];
    const reply = { status: (c: number) => calls.push(['status', c]), header: (n: string, v: string) => calls.push(['header', n, v]) };
    expect(sendIdempotent(reply, { status: 201, body: { id: 1 }, replayed: false })).toEqual({ id: 1 });
    expect(sendIdempotent(reply, { status: 201, body: { id: 1 }, replayed: true })).toEqual({ id: 1 });
    expect(calls).toEqual([['status', 201], ['status', 201], ['header', 'Idempotent-Replayed', 'true']]);
  });
});
