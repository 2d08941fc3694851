import { existsSync, readFileSync } from 'node:fs';
import type { ReceivedMail } from '../helpers/smtp.ts';

/**
 * The mail the e2e server's in-process SMTP server received (scripts/e2e-server.ts appends each
 * one to E2E_MAILBOX, set in playwright.config.ts).
 */
function read(): ReceivedMail[] {
	const file = process.env.E2E_MAILBOX;
	if (!file || !existsSync(file)) return [];
	return readFileSync(file, 'utf8')
		.split('\n')
		.filter(Boolean)
		.map((line) => JSON.parse(line) as ReceivedMail);
}

/** Waits for the first mail to `to` that matches, and returns it. */
export async function waitForMail(to: string, match: (mail: ReceivedMail) => boolean = () => true, timeoutMs = 15_000): Promise<ReceivedMail> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const found = read().find((mail) => mail.to.includes(to) && match(mail));
		if (found) return found;
		if (Date.now() > until) throw new Error(`no mail to ${to} arrived`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}
