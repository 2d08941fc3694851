import { createTransport } from 'nodemailer';
import type { Mailer } from './mailer.ts';

/** @see https://nodemailer.com/smtp/ (connection URL, timeouts, pooling) */
export interface SmtpOptions {
	/** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://user:pass@host:465`. */
	url: string;
	/** `Name <address>` of the sender. */
	from: string;
}

/** The real adapter: nodemailer over a small pool of SMTP connections. */
export function createSmtpMailer(options: SmtpOptions): Mailer {
	const url = new URL(options.url);
	// A small pool and short timeouts, unless the URL says otherwise: a mail that cannot leave is
	// logged with its reason, it must not hold on for minutes.
	const defaults = { pool: 'true', maxConnections: '3', connectionTimeout: '10000', greetingTimeout: '10000', socketTimeout: '20000' };
	for (const [key, value] of Object.entries(defaults)) if (!url.searchParams.has(key)) url.searchParams.set(key, value);
	const transport = createTransport(url.toString(), { from: options.from });
	return {
		transport: 'smtp',
		async send(mail) {
			await transport.sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
		},
		close() {
			transport.close();
		}
	};
}
