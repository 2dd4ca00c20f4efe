import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { EventEnvelope, EventSchemas, EventType, envelopeSchema, isEventType } from '@tally/contracts';

export class EventValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventValidationError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validateEnvelope = ajv.compile(envelopeSchema);
const dataValidators = new Map<string, ValidateFunction>();
for (const [type, schema] of Object.entries(EventSchemas)) dataValidators.set(type, ajv.compile(schema));

function describe(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

/** Validates an envelope and its payload against the contracts; throws EventValidationError. */
export function assertValidEvent(value: unknown): asserts value is EventEnvelope<EventType> {
  if (!validateEnvelope(value)) throw new EventValidationError(`invalid envelope: ${describe(validateEnvelope)}`);
  const env = value as unknown as EventEnvelope;
  if (!isEventType(env.type)) throw new EventValidationError(`unknown event type ${env.type}`);
  const v = dataValidators.get(env.type)!;
  if (!v(env.data)) throw new EventValidationError(`invalid ${env.type} payload: ${describe(v)}`);
}
