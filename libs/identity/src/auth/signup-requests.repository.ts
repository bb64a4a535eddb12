import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface SignupRequest {
  email: string;
  tenantName: string;
  passwordHash: string;
}

/** Sign-ups waiting for the mailed link (table `signup_requests`, keyed by the token's hash). */
@Injectable()
export class SignupRequestRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stores a request and drops the expired ones (so the table holds only live links). */
  async insert(tokenHash: string, request: SignupRequest, at: Date, expiresAt: Date): Promise<void> {
    await this.db.query(`DELETE FROM signup_requests WHERE expires_at < $1`, [at]);
    await this.db.query(`INSERT INTO signup_requests (token_hash, email, tenant_name, password_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
      tokenHash,
      request.email,
      request.tenantName,
      request.passwordHash,
      at,
      expiresAt,
    ]);
  }

  /** Takes a live request out (once: a link works one time). */
  async take(tokenHash: string, at: Date): Promise<SignupRequest | null> {
    const rows = (await this.db.query(`DELETE FROM signup_requests WHERE token_hash = $1 RETURNING email, tenant_name, password_hash, expires_at`, [
      tokenHash,
    ])) as [Array<{ email: string; tenant_name: string; password_hash: string; expires_at: Date }>, number];
    const row = rows[0][0];
    if (!row || new Date(row.expires_at) < at) return null;
    return { email: row.email, tenantName: row.tenant_name, passwordHash: row.password_hash };
  }
}
