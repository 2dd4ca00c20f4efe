import { Body, Controller, Get, Module, Param, Patch, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Transform } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsOptional, IsString, Max, Min, ValidateBy, validateSync } from 'class-validator';
import type { FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsFilter, frameworkErrorsAsProblems } from './problem';
import {
  isWellFormedQuery,
  CharLength, IsEmailAddress, IsNotBlank, MaxChars, asciiEmailDomain, createValidationPipe, findIllFormedText, installTextGuard, isWellFormedText,
} from './validation';

class NoteDto {
  @IsOptional() @IsString() @IsNotBlank() @MaxChars(5)
  title?: string | null;

  @IsOptional() @IsEmailAddress()
  email?: string;

  @IsOptional() @IsString() @CharLength(2, 3)
  code?: string;

  @IsOptional()
  meta?: Record<string, unknown>;
}

class SearchDto {
  @IsOptional() @IsString()
  q?: string;
}

@Controller('notes')
class NoteController {
  @Patch(':id')
  patch(@Param('id') id: string, @Body() dto: NoteDto) {
    return { id, dto };
  }

  @Get()
  search(@Query() query: SearchDto) {
    return query;
  }
}

@Module({ controllers: [NoteController] })
class NoteModule {}

const errorsOf = (body: object) => validateSync(Object.assign(new NoteDto(), body)).map((e) => e.property);

describe('well-formed text', () => {
  it('finds NUL and unpaired surrogates in strings and keys, at any depth, and names where', () => {
    expect(isWellFormedText('plain, ünïcödé and 😀')).toBe(true);
    expect(findIllFormedText({ a: 'ok', list: ['x', { deep: 'a\u0000b' }] })).toBe('list[1].deep');
    expect(findIllFormedText({ bio: 'x\ud800' })).toBe('bio');
    expect(findIllFormedText({ bio: '\udc00x' })).toBe('bio');
    expect(findIllFormedText({ bio: '\ud83d\ude00' })).toBeUndefined(); // a pair is fine
    expect(findIllFormedText({ links: { 'gi\u0000thub': 'x' } })).toBe('links.gi\ufffdthub');
    expect(findIllFormedText('a\u0000')).toBe('');
    expect(findIllFormedText(null)).toBeUndefined();
    let deep: unknown = 'a\u0000';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(findIllFormedText(deep)).toMatch(/^\[0\]/);
  });
});

describe('text rules for DTOs', () => {
  it('refuses empty and blank strings, and lets null through (null clears a field)', () => {
    expect(errorsOf({ title: '' })).toEqual(['title']);
    expect(errorsOf({ title: '  ' })).toEqual(['title']);
    expect(errorsOf({ title: null })).toEqual([]);
  });

  it('counts characters as code points, like JSON Schema and VARCHAR(n)', () => {
    expect(errorsOf({ title: '😀😀😀😀😀' })).toEqual([]);
    expect(errorsOf({ title: 'a\ufe0fa\ufe0fa' })).toEqual([]); // 5 code points
    expect(errorsOf({ title: 'a\ufe0fa\ufe0fa\ufe0f' })).toEqual(['title']); // 6: class-validator's MaxLength said 3
    expect(errorsOf({ code: 'ab' })).toEqual([]);
    expect(errorsOf({ code: 'a\ufe0fa\ufe0f' })).toEqual(['code']);
  });

  it('accepts exactly the addresses `format: email` accepts; an internationalized domain in its ASCII form', () => {
    for (const ok of ['ann@example.com', 'a.b+c@sub.example.co.uk', 'ann@xn--bcher-kva.de']) expect(errorsOf({ email: ok })).toEqual([]);
    for (const bad of ['ann@bücher.de', 'bü@example.com', '"a b"@example.com', 'a@[127.0.0.1]', 'no-at-sign', '']) expect(errorsOf({ email: bad })).toEqual(['email']);
    expect(asciiEmailDomain('Ann@Bücher.de')).toBe('Ann@xn--bcher-kva.de');
    expect(asciiEmailDomain('Ann@Example.COM')).toBe('Ann@Example.COM'); // ASCII: unchanged
    expect(asciiEmailDomain('no-at-sign')).toBe('no-at-sign');
  });
});

describe('at the edge of a service (Fastify + Nest, as bootstrapHttpService sets them up)', () => {
  let app: NestFastifyApplication;
  let fastify: FastifyInstance;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(NoteModule, new FastifyAdapter({ frameworkErrors: frameworkErrorsAsProblems }), { logger: false });
    fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
    installTextGuard(fastify);
    app.useGlobalFilters(new ProblemDetailsFilter());
    app.useGlobalPipes(createValidationPipe());
    await app.init();
    await fastify.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  const patch = (payload: string, url = '/notes/n1') => fastify.inject({ method: 'PATCH', url, payload, headers: { 'content-type': 'application/json' } });

  function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, field?: string) {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toContain(PROBLEM_CONTENT_TYPE);
    expect(res.json().status).toBe(status);
    if (field) expect(res.json().errors).toEqual([expect.objectContaining({ field })]);
  }

  it('refuses NUL and lone surrogates in the body, the query and the path with 400 problem+json', async () => {
    expectProblem(await patch(JSON.stringify({ title: 'a\u0000' })), 400, 'title');
    expectProblem(await patch('{"title":"a\\ud800"}'), 400, 'title');
    expectProblem(await patch(JSON.stringify({ meta: { 'k\u0000': 1 } })), 400, 'meta.k\ufffd');
    expectProblem(await fastify.inject({ method: 'GET', url: '/notes?q=a%00b' }), 400, 'q');
    expectProblem(await patch('{}', '/notes/n%00'), 400, 'id');
    expect((await patch(JSON.stringify({ title: 'ok', meta: { note: 'fine 😀' } }))).statusCode).toBe(200);
  });

  it('refuses a null, array, string or number body with 400, and a missing one', async () => {
    for (const body of ['null', '[]', '"text"', '42']) expectProblem(await patch(body), 400, 'body');
    expectProblem(await fastify.inject({ method: 'PATCH', url: '/notes/n1' }), 400, 'body');
  });

  it("answers the router's own refusals with problem+json: a malformed percent-encoding (400), an over-long path parameter (414)", async () => {
    const bad = await fastify.inject({ method: 'GET', url: '/notes/%ED%A0%80' });
    expectProblem(bad, 400);
    expect(bad.json().code).toBe('FST_ERR_BAD_URL');
    const long = await patch('{}', `/notes/${'a'.repeat(101)}`);
    expectProblem(long, 414);
    expect(long.json()).toMatchObject({ title: 'URI Too Long', code: 'FST_ERR_MAX_PARAM_LENGTH' });
    expect(JSON.stringify(long.json())).not.toContain('a'.repeat(101 + 1));
  });
});

describe('isWellFormedQuery', () => {
  it('accepts UTF-8 percent-encoding and plus signs, refuses escapes that are not UTF-8 or hold a lone surrogate or NUL', () => {
    expect(isWellFormedQuery('q=caf%C3%A9&limit=10')).toBe(true);
    expect(isWellFormedQuery('q=a+b&empty=&flag')).toBe(true);
    expect(isWellFormedQuery('q=a%ED%A0%80b')).toBe(false); // a UTF-16 surrogate encoded as UTF-8
    expect(isWellFormedQuery('q=%FF')).toBe(false);
    expect(isWellFormedQuery('q=%E0%A4')).toBe(false); // truncated sequence
    expect(isWellFormedQuery('q=%00')).toBe(false);
    expect(isWellFormedQuery('q=100%')).toBe(false);
  });
});

describe('query DTOs validated once per distinct query', () => {
  let checks = 0;
  const Counted = () => ValidateBy({ name: 'counted', validator: { validate: () => (checks++, true) } });

  class PageDto {
    @IsOptional() @IsIn(['active', 'archived']) @Counted()
    status?: string;

    @IsOptional() @Transform(({ value }) => Number(value)) @IsInt() @Min(1) @Max(100)
    limit: number = 20;
  }

  class TagsDto {
    @IsOptional() @IsArray() @Counted()
    tag?: string[];
  }

  const pipe = createValidationPipe();
  const asQuery = (metatype: Function) => ({ type: 'query' as const, metatype: metatype as never });

  it('gives a repeated valid query the same DTO without running its rules again, each request its own copy', async () => {
    checks = 0;
    const first = (await pipe.transform({ status: 'active', limit: '5' }, asQuery(PageDto))) as PageDto;
    expect(first).toBeInstanceOf(PageDto);
    expect(first).toEqual({ status: 'active', limit: 5 });
    expect(checks).toBe(1);
    first.limit = 99; // a handler changing its DTO changes nobody else's
    const second = (await pipe.transform({ status: 'active', limit: '5' }, asQuery(PageDto))) as PageDto;
    expect(second).toBeInstanceOf(PageDto);
    expect(second).toEqual({ status: 'active', limit: 5 });
    expect(second).not.toBe(first);
    expect(checks).toBe(1);
    // Another query string is validated on its own.
    expect(await pipe.transform({ status: 'archived' }, asQuery(PageDto))).toEqual({ status: 'archived', limit: 20 });
    expect(checks).toBe(2);
  });

  it('refuses an invalid query every time (refusals are never kept)', async () => {
    for (let i = 0; i < 2; i++) {
      await expect(pipe.transform({ status: 'gone' }, asQuery(PageDto))).rejects.toMatchObject({ status: 400 });
      await expect(pipe.transform({ limit: '500' }, asQuery(PageDto))).rejects.toMatchObject({ status: 400 });
      await expect(pipe.transform({ status: 'active', extra: '1' }, asQuery(PageDto))).rejects.toMatchObject({ status: 400 });
    }
  });

  it('keeps only DTOs of plain values: one holding an array is validated every time', async () => {
    checks = 0;
    await pipe.transform({ tag: ['a', 'b'] }, asQuery(TagsDto));
    await pipe.transform({ tag: ['a', 'b'] }, asQuery(TagsDto));
    expect(checks).toBe(2);
  });
});
