import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SecretBox } from '@margin/core';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

/**
 * The secret each tenant's instant-analysis callbacks are signed with (`X-Margin-Signature`, as webhooks are):
 * made on first use, stored encrypted, shown to the tenant's admins, rotated on request.
 */
@Injectable()
export class CallbackSecretsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly box: SecretBox,
  ) {}

  async get(tenantId: string): Promise<{ secret: string; rotatedAt: string }> {
    // the first caller's secret wins a race; everyone reads it back
    await this.db.query(`INSERT INTO analyze_callback_secrets (tenant_id, secret_enc) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING`, [
      tenantId,
      this.box.encrypt(newSecret()),
    ]);
    return this.read(tenantId);
  }

  async rotate(tenantId: string): Promise<{ secret: string; rotatedAt: string }> {
    await this.db.query(
      `INSERT INTO analyze_callback_secrets (tenant_id, secret_enc) VALUES ($1, $2)
       ON CONFLICT (tenant_id) DO UPDATE SET secret_enc = excluded.secret_enc, rotated_at = now()`,
      [tenantId, this.box.encrypt(newSecret())],
    );
    return this.read(tenantId);
  }

  private async read(tenantId: string): Promise<{ secret: string; rotatedAt: string }> {
    const [row] = (await this.db.query(`SELECT secret_enc, rotated_at FROM analyze_callback_secrets WHERE tenant_id = $1`, [tenantId])) as Array<{
      secret_enc: string;
      rotated_at: Date;
    }>;
    if (!row) throw new Error(`no callback secret for tenant ${tenantId}`);
    return { secret: this.box.decrypt(row.secret_enc), rotatedAt: row.rotated_at.toISOString() };
  }
}
