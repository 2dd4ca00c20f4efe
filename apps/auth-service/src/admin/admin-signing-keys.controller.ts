import { Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { AdminAccessGuard, CurrentAdmin } from './admin-access.guard';
import { AdminCaller } from './admin-policy';
import { AdminSigningKeysService } from './admin-signing-keys.service';
import { SigningKeyParams } from './dto/signing-keys.dto';

@Controller('api/v1/admin/signing-keys')
@UseGuards(AdminAccessGuard)
export class AdminSigningKeysController {
  constructor(private readonly keys: AdminSigningKeysService) {}

  /** Superusers only. 201 with the next key, announced (`pending`): it signs once every verifier has had time to learn it. */
  @Post('rotate')
  rotate(@CurrentAdmin() admin: AdminCaller) {
    return this.keys.rotate(admin);
  }

  /** Superusers only. 200 with the key, now `revoked`: it verifies nothing any more. 404 for an unknown kid. */
  @Post(':kid/revoke')
  @HttpCode(200)
  revoke(@CurrentAdmin() admin: AdminCaller, @Param() p: SigningKeyParams) {
    return this.keys.revoke(admin, p.kid);
  }
}
