import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

/** The notification stream's errors, one stable code each (problem+json `code`). */
export const StreamErrors = {
  invalidLastEventId: () =>
    new DomainException('INVALID_LAST_EVENT_ID', 'Last-Event-ID must be the id of an event this stream sent.', HttpStatus.BAD_REQUEST, {
      errors: [{ field: 'lastEventId', message: 'must be the id of an event this stream sent' }],
    }),
  tooManyStreams: (max: number) =>
    new DomainException('TOO_MANY_STREAMS', `At most ${max} notification streams may be open at once; close one first.`, HttpStatus.TOO_MANY_REQUESTS, { limit: max }),
  shuttingDown: () => new DomainException('SHUTTING_DOWN', 'This instance is shutting down; reconnect shortly.', HttpStatus.SERVICE_UNAVAILABLE),
};
