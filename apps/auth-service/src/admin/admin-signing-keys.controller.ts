import { Controller, Post, UseGuards } from '@nestjs/common';
import { AdminAccessGuard, CurrentAdmin } from './admin-access.guard';
import { AdminCaller } from './admin-policy';
import { AdminSigningKeysService } from './admin-signing-keys.service';

@Controller('api/v1/admin/signing-keys')
@UseGuards(AdminAccessGuard)
export class AdminSigningKeysController {
  constructor(private readonly keys: AdminSigningKeysService) {}

  /** 201 with the new key's kid. */
  @Post('rotate')
  rotate(@CurrentAdmin() admin: AdminCaller) {
    return this.keys.rotate(admin);
  }
}
