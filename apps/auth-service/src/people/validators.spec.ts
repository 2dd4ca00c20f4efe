import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { UpdateMeDto, UpdateProfileDto } from './dto/profile.dto';
import { NOTIFICATION_PREFERENCES_BOUNDS, isCurrencyCode, isPastDate, isTimeZone, jsonObjectProblem, socialLinksProblem } from './validators';

const fieldsWithErrors = (cls: new () => object, body: object) =>
  validateSync(plainToInstance(cls, body), { whitelist: true, forbidNonWhitelisted: true }).map((e) => e.property);

describe('isTimeZone', () => {
  it('accepts IANA names, including UTC and links', () => {
    for (const tz of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata', 'Etc/GMT+1']) expect(isTimeZone(tz)).toBe(true);
  });
  it('refuses unknown names, offsets and non-strings', () => {
    for (const tz of ['Mars/Base', '+01:00', 'Europe/', '', 'x'.repeat(51), 42, null]) expect(isTimeZone(tz)).toBe(false);
  });
});

describe('isCurrencyCode', () => {
  it('accepts ISO 4217 codes in upper case only', () => {
    expect(isCurrencyCode('EUR')).toBe(true);
    expect(isCurrencyCode('JPY')).toBe(true);
    expect(isCurrencyCode('eur')).toBe(false);
    expect(isCurrencyCode('ABC')).toBe(false);
    expect(isCurrencyCode('EURO')).toBe(false);
  });
});

describe('isPastDate', () => {
  const now = new Date('2026-06-15T12:00:00Z');
  it('accepts real past dates from 1900', () => {
    expect(isPastDate('1990-02-28', now)).toBe(true);
    expect(isPastDate('2000-02-29', now)).toBe(true);
    expect(isPastDate('1900-01-01', now)).toBe(true);
  });
  it('refuses today, the future, impossible dates, other formats and old dates', () => {
    for (const d of ['2026-06-15', '2030-01-01', '2023-02-29', '1990-13-01', '1990-1-1', '1899-12-31', '1990-01-01T00:00:00Z']) {
      expect(isPastDate(d, now)).toBe(false);
    }
  });
});

describe('socialLinksProblem', () => {
  it('accepts https links on each network\'s host (or any host for mastodon)', () => {
    expect(socialLinksProblem({})).toBeNull();
    expect(socialLinksProblem({ github: 'https://github.com/ann', linkedin: 'https://www.linkedin.com/in/ann', x: 'https://twitter.com/ann', mastodon: 'https://mastodon.social/@ann' })).toBeNull();
  });
  it('refuses unknown networks, http, other hosts, credentials and non-objects', () => {
    expect(socialLinksProblem({ myspace: 'https://myspace.com/ann' })).toMatch(/unknown network/);
    expect(socialLinksProblem({ github: 'http://github.com/ann' })).toMatch(/https/);
    expect(socialLinksProblem({ github: 'https://evil.example/github.com' })).toMatch(/github\.com/);
    expect(socialLinksProblem({ github: 'https://notgithub.com/ann' })).toMatch(/github\.com/);
    expect(socialLinksProblem({ github: 'https://u:p@github.com/ann' })).toMatch(/credentials/);
    expect(socialLinksProblem({ github: 'javascript:alert(1)' })).not.toBeNull();
    expect(socialLinksProblem({ github: 42 })).not.toBeNull();
    expect(socialLinksProblem(['https://github.com/ann'])).not.toBeNull();
  });
});

describe('jsonObjectProblem', () => {
  const b = NOTIFICATION_PREFERENCES_BOUNDS;
  it('accepts small nested objects', () => {
    expect(jsonObjectProblem({ email: { expenses: true, digest: 'weekly' }, push: false, quiet: [22, 7] }, b)).toBeNull();
  });
  it('refuses arrays, scalars, deep nesting and big documents', () => {
    expect(jsonObjectProblem([], b)).not.toBeNull();
    expect(jsonObjectProblem('x', b)).not.toBeNull();
    expect(jsonObjectProblem({ a: { b: { c: { d: 1 } } } }, b)).toMatch(/nest/);
    expect(jsonObjectProblem({ big: 'x'.repeat(5000) }, b)).toMatch(/bytes/);
    expect(jsonObjectProblem({ ['k'.repeat(65)]: 1 }, b)).toMatch(/keys/);
  });
});

describe('UpdateMeDto', () => {
  it('accepts a full valid body and normalises the phone number', () => {
    const dto = plainToInstance(UpdateMeDto, {
      firstName: ' Ann ', lastName: null, phoneNumber: '+49 (30) 1234-5678', avatar: 'avatars/ann.png', bio: 'Hi', dateOfBirth: '1990-05-01',
      preferredCurrency: 'EUR', timezone: 'Europe/Berlin', profileVisibility: 'public', userNotificationPreferences: { email: true },
    });
    expect(validateSync(dto)).toEqual([]);
    expect(dto.firstName).toBe('Ann');
    expect(dto.phoneNumber).toBe('+493012345678');
  });

  it('refuses null for non-nullable fields and bad values', () => {
    expect(fieldsWithErrors(UpdateMeDto, { preferredCurrency: null, timezone: null, profileVisibility: null, userNotificationPreferences: null }).sort())
      .toEqual(['preferredCurrency', 'profileVisibility', 'timezone', 'userNotificationPreferences']);
    expect(fieldsWithErrors(UpdateMeDto, { phoneNumber: '12345' })).toEqual(['phoneNumber']);
    expect(fieldsWithErrors(UpdateMeDto, { phoneNumber: '+1234567890123456' })).toEqual(['phoneNumber']);
    expect(fieldsWithErrors(UpdateMeDto, { avatar: '../etc/passwd.png' })).toEqual(['avatar']);
    expect(fieldsWithErrors(UpdateMeDto, { avatar: '/abs/me.png' })).toEqual(['avatar']);
    expect(fieldsWithErrors(UpdateMeDto, { dateOfBirth: '2999-01-01' })).toEqual(['dateOfBirth']);
    expect(fieldsWithErrors(UpdateMeDto, { email: 'x@example.com', role: 'admin' }).sort()).toEqual(['email', 'role']);
  });

  it('refuses an empty or blank string for every text field, and clears with null', () => {
    for (const field of ['firstName', 'lastName', 'phoneNumber', 'avatar', 'bio']) {
      for (const blank of ['', '  ']) expect(fieldsWithErrors(UpdateMeDto, { [field]: blank })).toEqual([field]);
      expect(fieldsWithErrors(UpdateMeDto, { [field]: null })).toEqual([]);
    }
  });

  it('counts characters as code points, like the columns and the event schemas', () => {
    expect(fieldsWithErrors(UpdateMeDto, { firstName: 'a\ufe0f'.repeat(75) })).toEqual([]); // 150 code points
    expect(fieldsWithErrors(UpdateMeDto, { firstName: 'a\ufe0f'.repeat(76) })).toEqual(['firstName']);
    expect(fieldsWithErrors(UpdateMeDto, { firstName: '😀'.repeat(150) })).toEqual([]);
  });
});

describe('UpdateProfileDto', () => {
  it('accepts valid fields and clears with null', () => {
    const dto = plainToInstance(UpdateProfileDto, { occupation: null, website: 'https://ann.example.com', country: 'de', socialLinks: { github: 'https://github.com/ann' } });
    expect(validateSync(dto)).toEqual([]);
    expect(dto.occupation).toBeNull();
  });

  it('refuses an empty or blank string for every text field: null clears, nothing else does', () => {
    for (const field of ['occupation', 'company', 'website', 'country', 'city']) {
      for (const blank of ['', '   ']) expect(fieldsWithErrors(UpdateProfileDto, { [field]: blank })).toEqual([field]);
    }
  });

  it('refuses a bad website, over-long fields and invalid social links', () => {
    expect(fieldsWithErrors(UpdateProfileDto, { website: 'ftp://x.example.com' })).toEqual(['website']);
    expect(fieldsWithErrors(UpdateProfileDto, { website: 'not a url' })).toEqual(['website']);
    expect(fieldsWithErrors(UpdateProfileDto, { city: 'x'.repeat(51) })).toEqual(['city']);
    expect(fieldsWithErrors(UpdateProfileDto, { socialLinks: { github: 'http://github.com/a' } })).toEqual(['socialLinks']);
    expect(fieldsWithErrors(UpdateProfileDto, { socialLinks: null })).toEqual(['socialLinks']);
  });
});
