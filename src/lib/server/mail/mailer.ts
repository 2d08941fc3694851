import { errorMessage, logger } from '../log.ts';

/**
 * The mail port: what src/lib needs to send an e-mail. server/ picks the adapter at start-up
 * (smtp.ts when SMTP_URL is set, log.ts otherwise) and hands it over in Services.
 */

export const MAIL_KINDS = ['invitation', 'verify_email', 'password_reset', 'signup_attempt'] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

/** One rendered e-mail. Every mail ChatMai sends carries exactly one link the reader acts on. */
export interface Mail {
	kind: MailKind;
	to: string;
	subject: string;
	text: string;
	html: string;
	/** The link of the mail: the log adapter prints it, so `npm start` works without SMTP. */
	link: string;
	/** The recipient's account, when there is one (logs carry ids, never addresses). */
	userId?: string;
}

/** What became of a mail: handed to the SMTP server, printed to the log, or refused. */
export type Delivery = 'sent' | 'logged' | 'failed';

export interface Mailer {
	/** 'smtp' delivers for real; 'log' prints the link (the embedded default). */
	readonly transport: 'smtp' | 'log';
	/** Resolves once the mail is handed over; rejects with the transport's reason. */
	send(mail: Mail): Promise<void>;
	close(): void;
}

const log = logger('mail');

/** Sends and reports the outcome; a failure is logged with its reason, never thrown. */
export async function deliver(mailer: Mailer, mail: Mail): Promise<Delivery> {
	try {
		await mailer.send(mail);
		return mailer.transport === 'smtp' ? 'sent' : 'logged';
	} catch (error) {
		log.error('mail_failed', { kind: mail.kind, userId: mail.userId, reason: errorMessage(error) });
		return 'failed';
	}
}

/**
 * Sends without making the caller wait: a sign-up or a reset request answers at once, the same
 * way whether or not a mail goes out, and an SMTP failure is logged with its reason.
 */
export function deliverLater(mailer: Mailer, mail: Mail): void {
	void deliver(mailer, mail);
}
