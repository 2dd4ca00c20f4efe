import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '@tally/security';
import { SigningKeyService } from './signing-key.service';

@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeyService) {}

  @Public()
  @Get('jwks.json')
  @Header('cache-control', 'public, max-age=300')
  jwks() {
    return this.keys.jwks();
  }
}
