import { Body, Controller, Get, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiCreatedResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { LoginResponse, MeResponse, SignupResponse } from '@margin/contracts';
import { LoginDto, LoginResponseDto, MeResponseDto, SignupDto, SignupResponseDto } from './auth.dto';
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
  @ApiOperation({ summary: 'Create a tenant on the free plan with this user as owner (when ALLOW_SIGNUP=true)' })
  @ApiCreatedResponse({ type: SignupResponseDto })
  signup(@Body() body: SignupDto): Promise<SignupResponse> {
    return this.auth.signup(body);
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
