// Tests libs/service-kit/src/openapi.ts (what every service serves at /openapi.json, and what the
// gateway merges). It lives here because the gateway is its consumer; it belongs beside the lib.
import { Body, Controller, Get, Module, Param, Post, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsEmail, IsEnum, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { Public } from '@tally/security';
import { PageQueryDto } from './pagination';
import { createOpenApiDocument } from './openapi';

enum Colour { Red = 'red', Blue = 'blue' }

class AddressDto {
  @IsString() @Length(2, 2) country!: string;
}

class CreateThingDto {
  @IsString() @Length(3, 50) @Matches(/^[a-z]+$/) name!: string;
  @IsEmail() contact!: string;
  @IsOptional() @IsInt() @Min(1) @Max(10) size?: number;
  @IsEnum(Colour) colour!: Colour;
  @ValidateIf((o: { mode?: string }) => o.mode !== undefined) @IsIn(['a', 'b']) mode?: string;
  @IsArray() @ArrayMaxSize(5) @IsUUID('4', { each: true }) members!: string[];
  @ValidateNested() @Type(() => AddressDto) address!: AddressDto;
  @ApiProperty({ description: 'written by hand', example: 'x' }) @IsString() note!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => AddressDto) addresses!: AddressDto[];
  @IsOptional() @IsArray() anything?: unknown[];
  @ApiProperty({ type: String, format: 'date', nullable: true, required: false }) @IsOptional() @IsString() born?: string | null;
}

@Controller('api/v1/things')
class ThingController {
  @Get()
  list(@Query() page: PageQueryDto) {
    return page;
  }

  @Public()
  @Get(':id')
  get(@Param('id') id: string) {
    return id;
  }

  @Post()
  create(@Body() dto: CreateThingDto) {
    return dto;
  }
}

@Module({ controllers: [ThingController] })
class ThingModule {}

describe('service OpenAPI documents (service-kit createOpenApiDocument)', () => {
  let app: NestFastifyApplication;
  let doc: any;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(ThingModule, new FastifyAdapter(), { logger: false });
    await app.init();
    doc = createOpenApiDocument(app, { title: 'thing-service' });
  });

  afterAll(async () => {
    await app.close();
  });

  it('is OpenAPI 3.1 with every route, its parameters and its security from @Public()', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('thing-service');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/v1/things', '/api/v1/things/{id}']);
    const list = doc.paths['/api/v1/things'].get;
    expect(list.security).toEqual([{ bearer: [] }]);
    expect(list.responses['401']).toEqual({ $ref: '#/components/responses/Unauthorized' });
    expect(list.parameters.map((p: any) => [p.in, p.name, p.required, p.schema])).toEqual([
      ['query', 'limit', false, { type: 'integer', minimum: 1, maximum: 100, default: 20 }],
      ['query', 'offset', false, { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 }],
    ]);
    const get = doc.paths['/api/v1/things/{id}'].get;
    expect(get.security).toEqual([]);
    expect(get.responses['401']).toBeUndefined();
    expect(get.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'id', required: true })]);
    expect(doc.paths['/api/v1/things'].post.responses['400']).toEqual({ $ref: '#/components/responses/BadRequest' });
    expect(doc.components.schemas.ProblemDetails.required).toEqual(['type', 'title', 'status']);
  });

  it('writes nullable fields the 3.1 way, as a type list with null', () => {
    const born = (doc.components!.schemas!.CreateThingDto as { properties: Record<string, Record<string, unknown>> }).properties.born;
    expect(born).toMatchObject({ type: ['string', 'null'], format: 'date' });
    expect(born).not.toHaveProperty('nullable');
  });

  it('describes DTOs from their validation rules, and keeps @ApiProperty where written', () => {
    const body = doc.paths['/api/v1/things'].post.requestBody.content['application/json'].schema;
    expect(body).toEqual({ $ref: '#/components/schemas/CreateThingDto' });
    const s = doc.components.schemas.CreateThingDto;
    expect(s.required.sort()).toEqual(['address', 'addresses', 'colour', 'contact', 'members', 'name', 'note']);
    expect(s.properties.addresses).toEqual({ type: 'array', items: { $ref: '#/components/schemas/AddressDto' } });
    expect(s.properties.anything).toMatchObject({ type: ['array', 'null'] });
    expect(s.properties.name).toEqual({ type: 'string', minLength: 3, maxLength: 50, pattern: '^[a-z]+$' });
    expect(s.properties.contact).toEqual({ type: 'string', format: 'email' });
    expect(s.properties.size).toMatchObject({ type: ['integer', 'null'], minimum: 1, maximum: 10 });
    // @ValidateIf lets a property be absent, not null; @IsOptional lets it be null too (class-validator skips null).
    expect(s.properties.mode.type).toBe('string');
    expect(s.properties.colour.enum).toEqual(['red', 'blue']);
    expect(s.properties.mode).toMatchObject({ type: 'string', enum: ['a', 'b'] });
    expect(s.properties.members).toMatchObject({ type: 'array', maxItems: 5, items: { type: 'string', format: 'uuid' } });
    expect(s.properties.address).toEqual({ $ref: '#/components/schemas/AddressDto' });
    expect(doc.components.schemas.AddressDto.properties.country).toEqual({ type: 'string', minLength: 2, maxLength: 2 });
    expect(s.properties.note).toMatchObject({ description: 'written by hand', example: 'x', type: 'string' });
  });
});
