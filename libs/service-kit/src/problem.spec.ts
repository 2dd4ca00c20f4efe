import { ArgumentsHost, BadRequestException, ConflictException, ForbiddenException, HttpException, HttpStatus, InternalServerErrorException, Logger, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { IsEmail, IsInt, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { errorCodes } from 'fastify';
import { DomainException, PROBLEM_CONTENT_TYPE, ProblemDetailsFilter, problem } from './problem';
import { createValidationPipe } from './validation';

const filter = new ProblemDetailsFilter();

class Address {
  @IsInt() @Min(1)
  number!: number;
}

class SignUp {
  @IsEmail()
  email!: string;

  @IsInt() @Min(18)
  age!: number;

  @ValidateNested() @Type(() => Address)
  address!: Address;
}

async function validationErrorFor(body: unknown): Promise<unknown> {
  try {
    await createValidationPipe().transform(body, { type: 'body', metatype: SignUp });
  } catch (err) {
    return err;
  }
  throw new Error('expected the validation pipe to refuse the body');
}

describe('problem()', () => {
  it('builds about:blank problems without a code, and a typed URI from a code', () => {
    expect(problem(404)).toEqual({ type: 'about:blank', title: 'Not Found', status: 404 });
    expect(problem(409, 'Already a member.', { code: 'ALREADY_MEMBER' })).toEqual({
      type: 'https://tally.dev/problems/already-member',
      title: 'Conflict',
      status: 409,
      detail: 'Already a member.',
      code: 'ALREADY_MEMBER',
    });
    expect(problem(418).title).toBe('Error');
  });

  it("never lets extra members replace the problem's own status, type, title or detail", () => {
    const p = problem(409, 'The invitation is accepted.', { code: 'INVITATION_NOT_PENDING', status: 'accepted', type: 'x', title: 'y', detail: 'z', state: 'accepted' } as never);
    expect(p).toMatchObject({ status: 409, type: 'https://tally.dev/problems/invitation-not-pending', title: 'Conflict', detail: 'The invitation is accepted.', state: 'accepted' });
  });

  it("keeps a DomainException's own code whatever its extra fields say", () => {
    const p = new ProblemDetailsFilter().toProblem(new DomainException('GROUP_NOT_FOUND', 'Group not found.', 404, { code: 'OTHER', status: 200 }));
    expect(p).toMatchObject({ status: 404, code: 'GROUP_NOT_FOUND' });
  });
});

describe('ProblemDetailsFilter.toProblem', () => {
  it('maps a DomainException to its status, a stable type URI, its code and its extra fields', () => {
    const p = filter.toProblem(new DomainException('GROUP_NOT_FOUND', 'No group with that id.', HttpStatus.NOT_FOUND, { groupId: 'g-1' }));
    expect(p).toEqual({
      type: 'https://tally.dev/problems/group-not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No group with that id.',
      code: 'GROUP_NOT_FOUND',
      groupId: 'g-1',
    });
  });

  it('gives a DomainException 422 by default', () => {
    expect(filter.toProblem(new DomainException('SPLIT_MISMATCH', 'Shares do not add up to the amount.'))).toMatchObject({
      status: 422,
      title: 'Unprocessable Content',
      code: 'SPLIT_MISMATCH',
      type: 'https://tally.dev/problems/split-mismatch',
    });
  });

  it('maps the validation pipe\'s error to 400 VALIDATION_FAILED with one entry per field problem', async () => {
    const err = await validationErrorFor({ email: 'nope', age: 12, address: { number: 0 }, admin: true });
    expect(err).toBeInstanceOf(BadRequestException);
    const p = filter.toProblem(err);
    expect(p).toMatchObject({
      type: 'https://tally.dev/problems/validation-failed',
      title: 'Bad Request',
      status: 400,
      detail: 'The request is not valid.',
      code: 'VALIDATION_FAILED',
    });
    expect(p.errors).toEqual(
      expect.arrayContaining([
        { field: 'email', message: 'email must be an email' },
        { field: 'age', message: 'age must not be less than 18' },
        { field: 'address.number', message: 'number must not be less than 1' },
        { field: 'admin', message: 'property admin should not exist' },
      ]),
    );
    expect(p.errors).toHaveLength(4);
    // the refused values are not echoed back
    expect(JSON.stringify(p)).not.toContain('nope');
  });

  it('maps an errors-array HttpException built by hand the same way', () => {
    const p = filter.toProblem(new BadRequestException({ errors: [{ field: 'amount', message: 'amount must be a decimal string' }] }));
    expect(p).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', detail: 'The request is not valid.', errors: [{ field: 'amount', message: 'amount must be a decimal string' }] });
  });

  it('maps Nest HttpExceptions to their status and message', () => {
    expect(filter.toProblem(new NotFoundException())).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'Not Found' });
    expect(filter.toProblem(new ForbiddenException('You are not a member of this group.'))).toEqual({
      type: 'about:blank',
      title: 'Forbidden',
      status: 403,
      detail: 'You are not a member of this group.',
    });
    expect(filter.toProblem(new HttpException('Slow down.', HttpStatus.TOO_MANY_REQUESTS))).toEqual({
      type: 'about:blank',
      title: 'Too Many Requests',
      status: 429,
      detail: 'Slow down.',
    });
    expect(filter.toProblem(new ConflictException(['first problem', 'second problem']))).toMatchObject({ status: 409, detail: 'first problem; second problem' });
    expect(filter.toProblem(new PayloadTooLargeException())).toMatchObject({ status: 413, title: 'Payload Too Large' });
  });

  it('maps Fastify\'s own 4xx errors (413 body too large, 415, bad JSON) with their code', () => {
    const tooLarge = new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    expect(filter.toProblem(tooLarge)).toEqual({
      type: 'https://tally.dev/problems/fst-err-ctp-body-too-large',
      title: 'Payload Too Large',
      status: 413,
      detail: tooLarge.message,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect(filter.toProblem(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/csv'))).toMatchObject({ status: 415, title: 'Unsupported Media Type', code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    expect(filter.toProblem(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY())).toMatchObject({ status: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY' });
    // a plain object in the same shape (what body parsers throw)
    expect(filter.toProblem(Object.assign(new Error('Request body is too large'), { statusCode: 413 }))).toEqual({
      type: 'about:blank',
      title: 'Payload Too Large',
      status: 413,
      detail: 'Request body is too large',
    });
  });

  it('maps unknown errors to a bare 500 that leaks nothing', () => {
    const secret = Object.assign(new Error('password authentication failed for user "tally" at db.internal:5432'), { code: '28P01', detail: 'SELECT * FROM users' });
    for (const e of [secret, new TypeError("Cannot read properties of undefined (reading 'id')"), 'a string', undefined, null, { statusCode: 503, message: 'upstream exploded' }]) {
      const p = filter.toProblem(e);
      expect(p).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred. It has been logged.' });
      const json = JSON.stringify(p);
      expect(json).not.toMatch(/password|db\.internal|SELECT|28P01|undefined|upstream|stack/);
    }
  });

  it('keeps the message of a 5xx HttpException a service chose to throw', () => {
    expect(filter.toProblem(new InternalServerErrorException('Ledger is being rebuilt; try again.'))).toMatchObject({ status: 500, detail: 'Ledger is being rebuilt; try again.' });
  });
});

describe('ProblemDetailsFilter.catch', () => {
  function hostFor(url: string) {
    const reply = { statusCode: 0, headers: {} as Record<string, string>, body: undefined as unknown };
    const fastifyReply = {
      status(code: number) {
        reply.statusCode = code;
        return this;
      },
      header(k: string, v: string) {
        reply.headers[k] = v;
        return this;
      },
      send(body: unknown) {
        reply.body = body;
        return this;
      },
    };
    const host = { switchToHttp: () => ({ getResponse: () => fastifyReply, getRequest: () => ({ url }) }) } as unknown as ArgumentsHost;
    return { host, reply };
  }

  it('sends problem+json with the status and the request path (no query string) as instance', () => {
    const { host, reply } = hostFor('/groups/g-1/expenses?token=abc');
    filter.catch(new DomainException('GROUP_NOT_FOUND', 'No group with that id.', 404), host);
    expect(reply.statusCode).toBe(404);
    expect(reply.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(reply.body).toMatchObject({ status: 404, code: 'GROUP_NOT_FOUND', instance: '/groups/g-1/expenses' });
  });

  it('logs a 500 (server side) while the client gets the bare problem', () => {
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const { host, reply } = hostFor('/boom');
      filter.catch(new Error('db down: connection string postgres://u:p@h/db'), host);
      expect(reply.statusCode).toBe(500);
      expect(JSON.stringify(reply.body)).not.toContain('postgres://');
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});
