/**
 * System configuration values: stored as TEXT, read according to their data type.
 * Decimals stay decimal strings (never JavaScript floats), integers fit a BIGINT, JSON must parse.
 */
export const CONFIG_DATA_TYPES = ['string', 'integer', 'decimal', 'boolean', 'json'] as const;
export type ConfigDataType = (typeof CONFIG_DATA_TYPES)[number];

/** Keys like `payments.max_amount` or `feature-flags.new_ui`. */
export const CONFIG_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const CONFIG_VALUE_MAX_LENGTH = 65_536;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^-?(0|[1-9][0-9]*)$/;
/** Plain notation only: no exponent, no leading zeros, no bare or trailing dot. At most 30 digits each side. */
const DECIMAL = /^-?(0|[1-9][0-9]{0,29})(\.[0-9]{1,30})?$/;

/**
 * Why `value` is not a valid `dataType`, or null when it is. The message never contains the
 * value itself: it may be a secret, and messages end up in responses and logs.
 */
export function configValueProblem(dataType: ConfigDataType, value: string): string | null {
  switch (dataType) {
    case 'string':
      return null;
    case 'integer': {
      if (!INTEGER.test(value)) return 'value must be an integer in plain notation, e.g. "42" or "-7"';
      const n = BigInt(value);
      return n < INT64_MIN || n > INT64_MAX ? 'value must fit a 64-bit signed integer' : null;
    }
    case 'decimal':
      return DECIMAL.test(value) ? null : 'value must be a decimal in plain notation, e.g. "12.50" (no exponent, no leading zeros)';
    case 'boolean':
      return value === 'true' || value === 'false' ? null : 'value must be "true" or "false"';
    case 'json':
      try {
        JSON.parse(value);
        return null;
      } catch {
        return 'value must be valid JSON';
      }
  }
}

export interface ConfigurationRecord {
  id: string;
  key: string;
  value: string;
  dataType: ConfigDataType;
  description?: string | null;
  isSensitive: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConfigurationView {
  id: string;
  key: string;
  /** The value, or null when it is sensitive: a sensitive value never leaves the service. */
  value: string | null;
  /** True when a value is stored (always, since value is NOT NULL); tells "hidden" from "empty". */
  valueSet: boolean;
  dataType: ConfigDataType;
  description: string | null;
  isSensitive: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The only way a configuration leaves the service: sensitive values masked, always. */
export function toConfigurationView(c: ConfigurationRecord): ConfigurationView {
  return {
    id: c.id,
    key: c.key,
    value: c.isSensitive ? null : c.value,
    valueSet: c.value !== null && c.value !== undefined,
    dataType: c.dataType,
    description: c.description ?? null,
    isSensitive: c.isSensitive,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
