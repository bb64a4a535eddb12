import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QUEUES } from '@margin/contracts';
import { ApiKeyEntity } from './api-keys/api-key.entity';
import { ApiKeyRepository } from './api-keys/api-key.repository';
import { ApiKeyTouchProcessor } from './api-keys/api-key-touch.processor';
import { ApiKeyUsageRecorder } from './api-keys/api-key-usage';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { VerifiedKeyCache } from './api-keys/verified-key-cache';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { AuthenticationGuard, RolesGuard } from './auth/guards';
import { LoginAttemptLimiter } from './auth/login-attempts';
import { RateLimitIdentity } from './auth/rate-limit-identity';
import { SignupRequestRepository } from './auth/signup-requests.repository';
import { AppConfig, Mailer, PasswordHasher } from '@margin/core';
import { ApiKeyStrategy, JwtStrategy } from './auth/strategies';
import { OwnerBootstrapService } from './bootstrap/owner-bootstrap.service';
import { TenantEntity } from './tenants/tenant.entity';
import { TenantRepository } from './tenants/tenant.repository';
import { TenantsController } from './tenants/tenants.controller';
import { TenantsService } from './tenants/tenants.service';
import { UserEntity } from './users/user.entity';
import { UserRepository } from './users/user.repository';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';

/** Entities, repositories and the services both the API and the worker use. */
@Module({
  imports: [TypeOrmModule.forFeature([TenantEntity, UserEntity, ApiKeyEntity]), BullModule.registerQueue({ name: QUEUES.maintenance })],
  providers: [
    TenantRepository,
    UserRepository,
    ApiKeyRepository,
    { provide: PasswordHasher, useFactory: () => new PasswordHasher() },
    VerifiedKeyCache,
    ApiKeysService,
    UsersService,
    TenantsService,
    OwnerBootstrapService,
  ],
  exports: [
    BullModule,
    VerifiedKeyCache,
    TenantRepository,
    UserRepository,
    ApiKeyRepository,
    PasswordHasher,
    ApiKeysService,
    UsersService,
    TenantsService,
    OwnerBootstrapService,
  ],
})
export class IdentityCoreModule {}

/** HTTP side: auth routes, user/key/tenant management, and the global authentication and role guards. */
@Module({
  imports: [
    IdentityCoreModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ secret: config.jwtSecret, signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  controllers: [AuthController, ApiKeysController, UsersController, TenantsController],
  providers: [
    AuthService,
    SignupRequestRepository,
    Mailer,
    LoginAttemptLimiter,
    RateLimitIdentity,
    ApiKeyUsageRecorder,
    JwtStrategy,
    ApiKeyStrategy,
    // Order matters: authenticate first, then check the role.
    { provide: APP_GUARD, useClass: AuthenticationGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [AuthService, RateLimitIdentity, IdentityCoreModule],
})
export class IdentityModule {}

/** Worker side: consumes identity's maintenance jobs. */
@Module({
  imports: [IdentityCoreModule],
  providers: [ApiKeyTouchProcessor],
})
export class IdentityWorkerModule {}
