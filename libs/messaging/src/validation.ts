import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { EventEnvelope, EventSchemas, EventType, envelopeSchema, isEventType } from '@tally/contracts';

export class EventValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventValidationError';
  }
}

/**
 * The tolerant reading of a schema: the same schema with every `additionalProperties: false`
 * dropped, at every level, so fields a reader does not know yet are allowed. Required fields,
 * types, formats, patterns and lengths stay. (A fresh copy; the contracts' schema is untouched.)
 */
export function tolerantSchema<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((s) => tolerantSchema(s)) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'additionalProperties' && value === false) continue;
    // `$id` names a schema in an Ajv instance; the tolerant copy is a different schema.
    if (key === '$id' && typeof value === 'string') {
      out[key] = `${value}:tolerant`;
      continue;
    }
    out[key] = tolerantSchema(value);
  }
  return out as T;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

interface Validators {
  envelope: ValidateFunction;
  data: Map<string, ValidateFunction>;
}

function compile(transform: <T>(schema: T) => T): Validators {
  return {
    envelope: ajv.compile(transform(envelopeSchema)),
    data: new Map(Object.entries(EventSchemas).map(([type, schema]) => [type, ajv.compile(transform(schema))])),
  };
}

/** Publishers: closed schemas, exactly as declared. */
const strict = compile((s) => s);
/** Consumers: the same schemas, open to unknown fields (tolerantSchema). */
const tolerant = compile(tolerantSchema);

function describe(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

function check(validators: Validators, value: unknown): asserts value is EventEnvelope<EventType> {
  if (!validators.envelope(value)) throw new EventValidationError(`invalid envelope: ${describe(validators.envelope)}`);
  const env = value as unknown as EventEnvelope;
  if (!isEventType(env.type)) throw new EventValidationError(`unknown event type ${env.type}`);
  const v = validators.data.get(env.type)!;
  if (!v(env.data)) throw new EventValidationError(`invalid ${env.type} payload: ${describe(v)}`);
}

/**
 * Strict, for publishers (the outbox validates with it before writing): the envelope and its
 * payload must match the contracts exactly, no unknown field anywhere. Throws EventValidationError.
 */
export function assertValidEvent(value: unknown): asserts value is EventEnvelope<EventType> {
  check(strict, value);
}

/**
 * Tolerant, for consumers: the same checks (required fields, types, formats, a known event type),
 * but unknown extra properties are allowed at every level of the envelope and the payload, so a
 * publisher may add an optional field without breaking its readers. Throws EventValidationError.
 */
export function assertReadableEvent(value: unknown): asserts value is EventEnvelope<EventType> {
  check(tolerant, value);
}
