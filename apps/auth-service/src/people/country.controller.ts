import { Controller, Get, Header, Headers, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CountryList, CountryService, etagMatches } from './country.service';

const CACHE_CONTROL = 'private, max-age=3600';

/** Any authenticated user; the full list (~250 rows) with an ETag, so clients revalidate with If-None-Match. */
@Controller('api/v1/countries')
export class CountryController {
  constructor(private readonly countries: CountryService) {}

  @Get()
  async list(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<CountryList | undefined> {
    const { list, etag } = await this.countries.list();
    void reply.header('etag', etag).header('cache-control', CACHE_CONTROL);
    if (etagMatches(ifNoneMatch, etag)) {
      void reply.status(304);
      return undefined;
    }
    return list;
  }

  @Get(':code')
  @Header('cache-control', CACHE_CONTROL)
  get(@Param('code') code: string) {
    return this.countries.get(code);
  }
}
