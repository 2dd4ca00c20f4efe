import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '@tally/security';
import { SigningKeyService } from './signing-key.service';

@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeyService) {}

  /** Pending keys are listed from their announcement, so a client caching this for its max-age learns a key before it signs. */
  @Public()
  @Get('jwks.json')
  @Header('cache-control', 'public, max-age=30')
  jwks() {
    return this.keys.jwks();
  }
}
