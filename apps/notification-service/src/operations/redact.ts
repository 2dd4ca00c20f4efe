import { redactErrorText } from '@tally/observability';

/**
 * What an admin reading dead letters sees of where a delivery went: enough to recognise it and
 * talk to the person (the domain and first letter of an address, the last two digits of a phone
 * number, the push service's origin and our device id), never the whole address or number, a push
 * subscription's endpoint path or keys, or a token.
 */
const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
/** E.164-ish numbers (how phone numbers are stored), so dates and ids in error text stay as they are. */
const PHONE = /\+\d[\d ().-]{6,}\d/g;
const URL_TEXT = /\bhttps?:\/\/[^\s"'<>]+/gi;

export function maskEmail(address: string): string {
  return address.replace(EMAIL, (_m, first: string, domain: string) => `${first}***@${domain}`);
}

function maskPhones(text: string): string {
  return text.replace(PHONE, (m) => {
    const digits = m.replace(/\D/g, '');
    if (digits.length < 7) return m;
    return `+${'*'.repeat(digits.length - 2)}${digits.slice(-2)}`;
  });
}

function originsOnly(text: string): string {
  return text.replace(URL_TEXT, (m) => {
    try {
      return new URL(m).origin;
    } catch {
      return '[url]';
    }
  });
}

/** A log row's `recipient` (an email address, a phone number, a push origin and device id) as an admin may see it. */
export function maskRecipient(recipient: string | null | undefined): string | null {
  if (!recipient) return null;
  return maskPhones(maskEmail(originsOnly(recipient)));
}

/** An attempt's error as an admin may read it: addresses, numbers and URLs masked as above, token-like strings redacted. */
export function redactForAdmin(error: string | null | undefined): string | null {
  if (!error) return null;
  return redactErrorText(maskPhones(maskEmail(originsOnly(error))));
}
