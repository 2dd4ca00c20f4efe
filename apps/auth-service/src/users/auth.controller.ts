import { Body, Controller, Get, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser, Public } from '@tally/security';
import { AuthService } from './auth.service';
import { ChangePasswordDto, EmailDto, LoginDto, RefreshDto, RegisterDto, ResetPasswordDto, VerifyEmailDto } from './dto/auth.dto';

const ACCEPTED = { status: 'accepted', detail: 'If an account matches, an email is on its way.' };
/** The answer to every registration that is not refused, whether or not the email already had an account. */
const REGISTERED = { status: 'accepted', detail: 'Check your email to finish signing up.' };

@Controller('api/v1')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /**
   * 202 and the same body whether the account was created or the email already had one (its owner
   * is mailed instead): registration does not tell who has an account. 409 only for a taken username.
   */
  @Public()
  @Post('auth/register')
  @HttpCode(202)
  async register(@Body() dto: RegisterDto) {
    await this.auth.register(dto);
    return REGISTERED;
  }

  @Public()
  @Post('auth/verify-email')
  @HttpCode(200)
  verifyEmail(@Body() dto: VerifyEmailDto) {
    return this.auth.verifyEmail(dto);
  }

  @Public()
  @Post('auth/verify-email/resend')
  @HttpCode(202)
  async resend(@Body() dto: EmailDto) {
    await this.auth.resendVerification(dto);
    return ACCEPTED;
  }

  @Public()
  @Post('auth/login')
  @HttpCode(200)
  login(@Body() dto: LoginDto, @Ip() ip: string, @Headers('user-agent') userAgent?: string) {
    return this.auth.login(dto, { ip, userAgent });
  }

  @Public()
  @Post('auth/refresh')
  @HttpCode(200)
  refresh(@Body() dto: RefreshDto, @Ip() ip: string, @Headers('user-agent') userAgent?: string) {
    return this.auth.refresh(dto, { ip, userAgent });
  }

  @Public()
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Body() dto: RefreshDto) {
    await this.auth.logout(dto);
  }

  @Public()
  @Post('auth/password/forgot')
  @HttpCode(202)
  async forgot(@Body() dto: EmailDto) {
    await this.auth.forgotPassword(dto);
    return ACCEPTED;
  }

  @Public()
  @Post('auth/password/reset')
  @HttpCode(204)
  async reset(@Body() dto: ResetPasswordDto) {
    await this.auth.resetPassword(dto);
  }

  @Post('auth/password/change')
  @HttpCode(204)
  async change(@CurrentUser() user: AuthenticatedUser, @Body() dto: ChangePasswordDto) {
    await this.auth.changePassword(user.id, dto);
  }

  @Get('users/me')
  me(@CurrentUser() user: AuthenticatedUser) {
    return this.auth.me(user.id);
  }
}
