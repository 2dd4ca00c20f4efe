import { CONFIG_KEY_PATTERN, ConfigDataType, configValueProblem, toConfigurationView } from './config-values';

describe('configValueProblem', () => {
  const ok: [ConfigDataType, string][] = [
    ['string', ''], ['string', 'anything at all ✓'],
    ['integer', '0'], ['integer', '42'], ['integer', '-7'], ['integer', '9223372036854775807'], ['integer', '-9223372036854775808'],
    ['decimal', '0'], ['decimal', '12.50'], ['decimal', '-0.001'], ['decimal', '123456789012345678901234567890.123456789012345678901234567890'],
    ['boolean', 'true'], ['boolean', 'false'],
    ['json', '{"a":[1,2,{"b":null}]}'], ['json', '[]'], ['json', '"text"'], ['json', '3.5'], ['json', 'null'], ['json', ' {"a": 1} '],
  ];
  it.each(ok)('accepts %s %j', (type, value) => expect(configValueProblem(type, value)).toBeNull());

  const bad: [ConfigDataType, string][] = [
    ['integer', ''], ['integer', '12.5'], ['integer', '1e3'], ['integer', '007'], ['integer', ' 1'], ['integer', '+1'], ['integer', '0x10'],
    ['integer', '9223372036854775808'], ['integer', '-9223372036854775809'], ['integer', 'NaN'], ['integer', '1_000'],
    ['decimal', ''], ['decimal', '.5'], ['decimal', '1.'], ['decimal', '1e3'], ['decimal', '1.5e-3'], ['decimal', '01.5'], ['decimal', 'Infinity'],
    ['decimal', '1,5'], ['decimal', '--1'], ['decimal', '1'.repeat(31)],
    ['boolean', 'TRUE'], ['boolean', 'yes'], ['boolean', '1'], ['boolean', ''], ['boolean', ' true'],
    ['json', ''], ['json', '{bad'], ['json', "{'a':1}"], ['json', 'undefined'], ['json', '{"a":1,}'],
  ];
  it.each(bad)('refuses %s %j', (type, value) => expect(configValueProblem(type, value)).toEqual(expect.any(String)));

  it('never quotes the value in its message (it may be a secret)', () => {
    const secret = 'sk_live_51Hxyz-not-a-number';
    for (const type of ['integer', 'decimal', 'boolean', 'json'] as const) {
      const problem = configValueProblem(type, secret);
      expect(problem).toEqual(expect.any(String));
      expect(problem).not.toContain(secret);
      expect(problem).not.toContain('sk_live');
    }
  });
});

describe('CONFIG_KEY_PATTERN', () => {
  it.each(['a', 'payments.max_amount', 'feature-flags.new_ui', 'A1', 'x'.repeat(100)])('accepts %s', (k) => expect(CONFIG_KEY_PATTERN.test(k)).toBe(true));
  it.each(['', '.hidden', '-x', 'has space', 'semi;colon', 'slash/y', 'x'.repeat(101), 'ü'])('refuses %j', (k) => expect(CONFIG_KEY_PATTERN.test(k)).toBe(false));
});

describe('toConfigurationView', () => {
  const base = {
    id: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d', key: 'payments.provider_api_key', dataType: 'string' as const, description: 'Provider key',
    createdAt: new Date('2026-11-22T10:00:00Z'), updatedAt: new Date('2026-11-22T11:00:00Z'),
  };

  it('shows a non-sensitive value', () => {
    expect(toConfigurationView({ ...base, key: 'groups.max_members', dataType: 'integer', value: '50', isSensitive: false })).toEqual({
      id: base.id, key: 'groups.max_members', value: '50', valueSet: true, dataType: 'integer', description: 'Provider key', isSensitive: false,
      createdAt: '2026-11-22T10:00:00.000Z', updatedAt: '2026-11-22T11:00:00.000Z',
    });
  });

  it('never shows a sensitive value: null, with valueSet telling that one is stored', () => {
    const secret = 'sk_live_51HsecretSECRETsecret';
    const view = toConfigurationView({ ...base, value: secret, isSensitive: true });
    expect(view.value).toBeNull();
    expect(view.valueSet).toBe(true);
    expect(JSON.stringify(view)).not.toContain(secret);
    expect(Object.keys(view).sort()).toEqual(['createdAt', 'dataType', 'description', 'id', 'isSensitive', 'key', 'updatedAt', 'value', 'valueSet']);
  });

  it('tells an empty non-sensitive value from a hidden one', () => {
    expect(toConfigurationView({ ...base, value: '', isSensitive: false })).toMatchObject({ value: '', valueSet: true });
    expect(toConfigurationView({ ...base, value: '', isSensitive: true, description: undefined })).toMatchObject({ value: null, valueSet: true, description: null });
  });
});
