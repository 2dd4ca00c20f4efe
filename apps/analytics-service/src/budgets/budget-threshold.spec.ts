import { percentHundredths, reached, thousandths, thresholdDecision } from './budget-threshold';

const t = thousandths;

describe('thresholdDecision', () => {
  it('announces 80 when spending reaches 80 % exactly, not a thousandth before', () => {
    expect(thresholdDecision(t('100.00'), t('79.999'), new Set())).toEqual([]);
    expect(thresholdDecision(t('100.00'), t('80.00'), new Set())).toEqual([{ threshold: 80, announce: true }]);
    expect(thresholdDecision(t('100.00'), t('85.00'), new Set())).toEqual([{ threshold: 80, announce: true }]);
  });

  it('announces 100 once 80 was recorded, at exactly 100 %', () => {
    expect(thresholdDecision(t('100.00'), t('99.99'), new Set([80]))).toEqual([]);
    expect(thresholdDecision(t('100.00'), t('100.00'), new Set([80]))).toEqual([{ threshold: 100, announce: true }]);
  });

  it('jumping straight past 100 % announces only 100 and records 80 as passed', () => {
    expect(thresholdDecision(t('100.00'), t('170.00'), new Set())).toEqual([{ threshold: 80, announce: false }, { threshold: 100, announce: true }]);
  });

  it('never again for a threshold recorded, whatever the spending did in between', () => {
    expect(thresholdDecision(t('100.00'), t('85.00'), new Set([80]))).toEqual([]);
    expect(thresholdDecision(t('100.00'), t('250.00'), new Set([80, 100]))).toEqual([]);
  });

  it('is exact where floats are not: 0.1 + 0.2 of 0.375', () => {
    // 0.3 of 0.375 is 80 % exactly; (0.1 + 0.2) / 0.375 in floats is 0.8000000000000002, and 0.29999 would be below
    expect(reached(t('0.375'), t('0.1') + t('0.2'), 80)).toBe(true);
    expect(reached(t('0.375'), t('0.299'), 80)).toBe(false);
    expect(thresholdDecision(t('12345678.90'), t('9876543.12'), new Set())).toEqual([{ threshold: 80, announce: true }]);
    expect(thresholdDecision(t('12345678.90'), t('9876543.11'), new Set())).toEqual([]);
  });

  it('a budget of no amount announces nothing', () => {
    expect(thresholdDecision(0n, t('5.00'), new Set())).toEqual([]);
  });
});

describe('percentHundredths', () => {
  it('is the percentage with two decimals, rounded down', () => {
    expect(percentHundredths(t('100.00'), t('85.00'))).toBe(8500n);
    expect(percentHundredths(t('3.00'), t('1.00'))).toBe(3333n);
    expect(percentHundredths(t('3.00'), t('2.00'))).toBe(6666n);
    expect(percentHundredths(t('100.00'), t('99.999'))).toBe(9999n);
    expect(percentHundredths(t('100.00'), t('0'))).toBe(0n);
  });
});
