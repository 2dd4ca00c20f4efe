import { currencyDecimals, currencyId, isCurrencyCode } from './currency';

describe('currencyId', () => {
  it('is the RFC 9562 UUID v5 of the code in the currency namespace (the values the uuid package computes)', () => {
    expect(currencyId('USD')).toBe('b57569ec-7047-522b-a747-c5088cb25321');
    expect(currencyId('JPY')).toBe('b13ba9df-9022-5f17-b3a8-ab6a4364c9e5');
  });

  it('is stable and distinct per code, and refuses what is not a code', () => {
    expect(currencyId('EUR')).toBe(currencyId('EUR'));
    expect(currencyId('EUR')).not.toBe(currencyId('USD'));
    expect(() => currencyId('usd')).toThrow();
  });
});

describe('isCurrencyCode', () => {
  it('accepts ISO 4217 codes and nothing else', () => {
    expect(['USD', 'EUR', 'JPY', 'BHD'].every(isCurrencyCode)).toBe(true);
    expect(['usd', 'XYZ', 'EURO', '', null, 840].some(isCurrencyCode)).toBe(false);
    // withdrawn codes are not accepted any more (HRK became EUR in 2023; SLL was redenominated as SLE)
    expect(['HRK', 'SLL'].some(isCurrencyCode)).toBe(false);
  });

  it("knows each currency's ISO 4217 minor units", () => {
    expect(['JPY', 'USD', 'BHD', 'AFN'].map(currencyDecimals)).toEqual([0, 2, 3, 2]);
    expect(currencyDecimals('XYZ')).toBeUndefined();
  });
});
