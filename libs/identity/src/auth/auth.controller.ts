import { Body, Controller, Get, HttpCode, Ip, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiCreatedResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { LoginResponse, MeResponse, SignupPendingResponse, SignupResponse } from '@margin/contracts';
import { ConfirmSignupDto, LoginDto, LoginResponseDto, MeResponseDto, SignupDto, SignupPendingResponseDto, SignupResponseDto } from './auth.dto';
import { AuthService } from './auth.service';
import { CurrentPrincipal, Public } from './decorators';
import type { Principal } from './principal';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with email and password; 401 with one message for any bad pair' })
  @ApiOkResponse({ type: LoginResponseDto })
  login(@Body() body: LoginDto, @Ip() ip: string | undefined): Promise<LoginResponse> {
    return this.auth.login(body.email, body.password, ip ?? 'unknown');
  }

  @Public()
  @Post('signup')
  @ApiOperation({
    summary: 'Create a tenant on the free plan with this user as owner (when ALLOW_SIGNUP=true)',
    description:
      'With SIGNUP_CONFIRM_EMAIL (the default when SMTP_URL is set) the answer is 202 for any address, taken or not, and the account is created from the mailed link (POST /auth/signup/confirm).',
  })
  @ApiCreatedResponse({ type: SignupResponseDto })
  @ApiAcceptedResponse({ type: SignupPendingResponseDto, description: 'SIGNUP_CONFIRM_EMAIL: a mail went to the address' })
  async signup(@Body() body: SignupDto, @Res({ passthrough: true }) res: Response): Promise<SignupResponse | SignupPendingResponse> {
    const answer = await this.auth.signup(body);
    if ('status' in answer) res.status(202);
    return answer;
  }

  @Public()
  @Post('signup/confirm')
  @ApiOperation({ summary: 'Finish a sign-up from the token of its mail (once, within 24 hours)' })
  @ApiCreatedResponse({ type: SignupResponseDto })
  confirmSignup(@Body() body: ConfirmSignupDto): Promise<SignupResponse> {
    return this.auth.confirmSignup(body.token);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiSecurity('api-key')
  @ApiOperation({ summary: 'The caller, its tenant and plan, and the current usage period' })
  @ApiOkResponse({ type: MeResponseDto })
  me(@CurrentPrincipal() principal: Principal): Promise<MeResponse> {
    return this.auth.me(principal);
  }
}
