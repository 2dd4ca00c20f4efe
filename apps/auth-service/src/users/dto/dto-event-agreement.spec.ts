/**
 * No request DTO accepts a value that the published event schema of the same field refuses (issue 7,
 * defect 5: `user@bücher.de` passed IsEmail, then failed `format: email` inside the transaction, a
 * 500). For every DTO whose fields become an event's fields of the same name, every candidate
 * value the DTO accepts (after its transforms) must pass that field's schema, checked with ajv and
 * ajv-formats as libs/messaging checks what is published.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EventSchemas, EventType } from '@tally/contracts';
import { ChangeRoleDto } from '../../admin/dto/admin-users.dto';
import { CreateFriendshipDto } from '../../people/dto/friendship.dto';
import { RegisterDeviceDto } from '../../people/dto/device.dto';
import { UpdateMeDto } from '../../people/dto/profile.dto';
import { EmailDto, RegisterDto } from './auth.dto';

const ajv = new Ajv({ strict: false });
addFormats(ajv);

const PAIRS: [new () => object, EventType[]][] = [
  [RegisterDto, ['user.registered', 'email_verification.requested', 'user.phone_changed']],
  [EmailDto, ['email_verification.requested', 'password_reset.requested']],
  [UpdateMeDto, ['user.profile_updated', 'user.phone_changed']],
  [RegisterDeviceDto, ['device.registered']],
  [CreateFriendshipDto, ['friendship.requested']],
  [ChangeRoleDto, ['user.role_changed']],
];

const CANDIDATES: string[] = [
  // addresses
  'ann@example.com', 'A.B+c@Example.CO.uk', 'user@bücher.de', 'user@BÜCHER.de', 'user@ｅｘａｍｐｌｅ.com', 'bü@example.com', 'ä@ä.de',
  '"a b"@example.com', 'a@[127.0.0.1]', 'a@localhost', 'a@example', 'a..b@example.com', '.a@example.com', 'a@-example.com', 'a@ex_ample.com',
  "o'brien@example.com", ' padded@example.com ', `${'a'.repeat(64)}@example.com`, `${'a'.repeat(250)}@x.io`, `a@${'b'.repeat(63)}.com`, 'user@bücher.de.',
  // text
  '', ' ', 'Ann', 'a\ufe0f'.repeat(76), 'a\ufe0f'.repeat(75), '😀'.repeat(150), '😀'.repeat(151), 'x'.repeat(151), 'x'.repeat(501), 'é'.repeat(100), 'e\u0301'.repeat(100),
  // codes, zones, ids, tokens
  'EUR', 'eur', 'XYZ', 'Europe/Berlin', 'UTC', 'Mars/Olympus', 'x'.repeat(60), 'ios', 'web', 'admin', 'premium', 'user',
  '3f2c1a9e-8b7d-4c6e-9f1a-2b3c4d5e6f70', '3F2C1A9E-8B7D-4C6E-9F1A-2B3C4D5E6F70', '00000000-0000-0000-0000-000000000000', 'urn:uuid:3f2c1a9e-8b7d-4c6e-9f1a-2b3c4d5e6f70',
  'push-token-abcdefgh', 'x'.repeat(255), 'x'.repeat(256),
  // phone numbers
  '+14155550123', ' +1 (415) 555-0123 ', '+49 30 123456', '+4930123456', '+1234567', '+123456', '+1234567890123456', '+12345678901234567', '+0123456789', '004930123456',
];

describe('request DTOs and the event schemas of the same fields', () => {
  for (const [dto, types] of PAIRS) {
    for (const type of types) {
      const properties = (EventSchemas[type] as { properties: Record<string, object> }).properties;
      it(`${dto.name} accepts nothing ${type} refuses`, () => {
        const disagreements: string[] = [];
        let checked = 0;
        for (const field of Object.keys(properties)) {
          const validate = ajv.compile(properties[field]);
          for (const value of CANDIDATES) {
            const instance = plainToInstance(dto, { [field]: value }) as Record<string, unknown>;
            const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
            if (errors.some((e) => e.property === field)) continue;
            if (instance[field] === undefined) continue;
            checked++;
            if (!validate(instance[field])) disagreements.push(`${field} = ${JSON.stringify(value)} → ${JSON.stringify(instance[field])}: ${ajv.errorsText(validate.errors)}`);
          }
        }
        expect(disagreements).toEqual([]);
        expect(checked).toBeGreaterThan(0);
      });
    }
  }

  it('reads an internationalized domain in its ASCII form, which the events accept', () => {
    const dto = plainToInstance(RegisterDto, { email: ' Ann@Bücher.de ' });
    expect(dto.email).toBe('Ann@xn--bcher-kva.de');
    expect(validateSync(dto).some((e) => e.property === 'email')).toBe(false);
  });
});
