import { Injectable, Logger } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Outgoing mail through the operator's SMTP server (SMTP_URL). Its URL holds credentials: it is never logged. */
@Injectable()
export class Mailer {
  private readonly logger = new Logger(Mailer.name);
  private readonly transport: Transporter | null;

  constructor(private readonly config: AppConfig) {
    this.transport = config.smtpUrl ? createTransport(config.smtpUrl) : null;
  }

  get enabled(): boolean {
    return this.transport !== null;
  }

  /**
   * Sends in the background: the caller answers at once (and in the same time whatever it sends), a failure
   * is logged without the address or the server's URL.
   */
  sendLater(message: MailMessage): void {
    if (!this.transport) return;
    this.transport
      .sendMail({ from: this.config.mailFrom, ...message })
      .catch((err: Error) => this.logger.warn(`mail "${message.subject}" not sent: ${err.message}`));
  }
}
