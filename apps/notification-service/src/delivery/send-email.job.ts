import { plainToInstance } from 'class-transformer';
import { IsOptional, IsString, IsUUID, Matches, validateSync } from 'class-validator';
import { UnrecoverableError } from 'bullmq';
import { SendEmailJob } from '@tally/contracts';

/** `SendEmailJob` as it must look on arrival; job data is an input like any other. */
class SendEmailJobDto implements SendEmailJob {
  @IsUUID()
  notificationId!: string;

  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  correlationId?: string;
}

/** Validates job data; malformed data can never succeed, so it fails the job without retries. */
export function parseSendEmailJob(data: unknown): SendEmailJob {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UnrecoverableError('invalid send-email job: data is not an object');
  const dto = plainToInstance(SendEmailJobDto, data);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) {
    const problems = errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; ');
    throw new UnrecoverableError(`invalid send-email job: ${problems}`);
  }
  return { notificationId: dto.notificationId, ...(dto.correlationId ? { correlationId: dto.correlationId } : {}) };
}
