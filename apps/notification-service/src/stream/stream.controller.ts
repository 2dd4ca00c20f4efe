import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { TimeIdCursor, decodeCursor } from '@tally/service-kit';
import { StreamErrors } from './stream.exceptions';
import { NotificationStreamHub } from './stream.hub';
import { StreamQueryDto } from './stream-query.dto';

/**
 * `GET /api/v1/notifications/stream`: the caller's new notifications as Server-Sent Events
 * (README "Live stream"). A static path, so the router never takes `stream` for the `:id` of
 * NotificationController.
 */
@Controller('api/v1/notifications')
export class StreamController {
  constructor(private readonly hub: NotificationStreamHub) {}

  @Get('stream')
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: "The last event's id: the notifications after it are replayed first" })
  @ApiOkResponse({
    schema: { type: 'string' },
    description:
      'Server-Sent Events: `retry: 3000`, then `event: notification` with `id` (a cursor) and `data` (the notification as GET /api/v1/notifications/:id shows it), a `: ping` comment every 15 s; `event: reset` when more were missed than a replay sends',
  })
  stream(
    @CurrentUser() user: AuthenticatedUser,
    @Query() q: StreamQueryDto,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    const resumeFrom = parseLastEventId(lastEventIdHeader?.trim() || q.lastEventId || undefined);
    const stream = this.hub.admit(user.id, reply.raw);
    // From here the response is ours: a long-lived text/event-stream, never buffered on the way.
    reply.hijack();
    const headers: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
    reply.raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    reply.raw.flushHeaders();
    // The stream ends when the access token it was opened with expires (the client reconnects with a fresh one).
    const exp = typeof user.claims?.exp === 'number' ? user.claims.exp * 1000 : undefined;
    void stream.open(resumeFrom, exp);
  }
}

function parseLastEventId(id: string | undefined): TimeIdCursor | undefined {
  if (!id) return undefined;
  try {
    return decodeCursor(id);
  } catch {
    throw StreamErrors.invalidLastEventId();
  }
}
