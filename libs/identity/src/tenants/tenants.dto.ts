import { ApiProperty } from '@nestjs/swagger';
import { PLANS, type Plan } from '@margin/contracts';
import { IsIn } from 'class-validator';

export class UpdateTenantDto {
  @ApiProperty({ enum: PLANS })
  @IsIn(PLANS)
  plan!: Plan;
}
