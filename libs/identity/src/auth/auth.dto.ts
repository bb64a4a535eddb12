import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  PLANS,
  ROLES,
  type LoginResponse,
  type MeResponse,
  type Plan,
  type Role,
  type SignupPendingResponse,
  type SignupResponse,
  type TenantView,
  type UserView,
} from '@margin/contracts';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Matches, MaxLength, MinLength } from 'class-validator';

const trimLower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export const PASSWORD_MIN_LENGTH = 10;

export class LoginDto {
  @ApiProperty({ example: 'owner@example.com' })
  @Transform(trimLower)
  @IsEmail()
  email!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(200)
  password!: string;
}

export class SignupDto {
  @ApiProperty({ example: 'founder@example.com' })
  @Transform(trimLower)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH })
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(200)
  password!: string;

  @ApiProperty({ example: 'Acme Music' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  tenantName!: string;
}

export class UserSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
}

export class UserDto extends UserSummaryDto implements UserView {
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastLoginAt!: string | null;
}

export class TenantDto implements TenantView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: PLANS }) plan!: Plan;
  @ApiProperty({ description: "The operator's tenant runs the installation" }) isOperator!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class LoginResponseDto implements LoginResponse {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ description: 'Seconds until the token expires' }) expiresIn!: number;
  @ApiProperty({ type: UserSummaryDto }) user!: UserSummaryDto;
}

export class SignupResponseDto extends LoginResponseDto implements SignupResponse {
  @ApiProperty({ type: TenantDto }) tenant!: TenantDto;
}

export class SignupPendingResponseDto implements SignupPendingResponse {
  @ApiProperty({ enum: ['confirmation_sent'] }) status!: 'confirmation_sent';
  @ApiProperty() message!: string;
}

export class ConfirmSignupDto {
  @ApiProperty({ description: 'The token from the sign-up mail' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{20,100}$/, { message: 'token must be the token from the sign-up mail' })
  token!: string;
}

class UsagePeriodDto {
  @ApiProperty({ format: 'date-time' }) periodStart!: string;
  @ApiProperty({ format: 'date-time', description: 'When monthly quotas reset' }) resetsAt!: string;
}

class ApiKeyIdentityDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
}

export class MeResponseDto implements MeResponse {
  @ApiPropertyOptional({ type: UserDto, nullable: true }) user!: UserDto | null;
  @ApiPropertyOptional({ type: ApiKeyIdentityDto, nullable: true }) apiKey!: ApiKeyIdentityDto | null;
  @ApiProperty({ type: TenantDto }) tenant!: TenantDto;
  @ApiProperty({ enum: ['jwt', 'api-key'] }) authenticatedVia!: 'jwt' | 'api-key';
  @ApiProperty({ type: UsagePeriodDto }) usage!: UsagePeriodDto;
}
