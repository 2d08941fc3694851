import { logger } from '../log.ts';
import type { Mailer } from './mailer.ts';

const log = logger('mail');

/**
 * The adapter when no SMTP server is configured: the mail's link goes to the server log (the one
 * place a link may appear there) so whoever runs `npm start` can pass it on. The address and the
 * text are not logged.
 */
export function createLogMailer(): Mailer {
	return {
		transport: 'log',
		async send(mail) {
			log.warn('mail_not_sent_link_logged', { kind: mail.kind, userId: mail.userId, link: mail.link });
		},
		close() {}
	};
}
