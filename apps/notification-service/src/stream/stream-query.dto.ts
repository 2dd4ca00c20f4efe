import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class StreamQueryDto {
  /** For EventSource polyfills that cannot send the Last-Event-ID header; the header wins when both are given. */
  @IsOptional() @IsString() @MaxLength(200) @Matches(/^[A-Za-z0-9_-]*$/, { message: 'lastEventId must be the id of an event this stream sent' })
  lastEventId?: string;
}
