import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { UserView } from '@margin/contracts';
import { UserDto } from '../auth/auth.dto';
import { CurrentPrincipal, MinRole } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { CreateUserDto, UpdateUserDto } from './users.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiSecurity('api-key')
@MinRole('admin')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOkResponse({ type: UserDto, isArray: true })
  list(@CurrentPrincipal() principal: Principal): Promise<UserView[]> {
    return this.users.list(principal);
  }

  @Post()
  @ApiCreatedResponse({ type: UserDto })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateUserDto): Promise<UserView> {
    return this.users.create(principal, body);
  }

  @Patch(':id')
  @ApiOkResponse({ type: UserDto })
  update(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateUserDto): Promise<UserView> {
    return this.users.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  remove(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    return this.users.remove(principal, id);
  }
}
