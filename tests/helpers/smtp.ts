import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';

/** One mail the test SMTP server received, parsed. */
export interface ReceivedMail {
	from: string;
	to: string[];
	subject: string;
	text: string;
	html: string;
	/** The first http(s) link of the text part. */
	link: string | null;
}

export interface TestSmtp {
	url: string;
	port: number;
	mails: ReceivedMail[];
	/** The first mail (received already or later) that matches, or a rejection after `timeoutMs`. */
	waitFor(match: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
	/** Makes every mail fail (new connections get 421, open ones 550 to MAIL FROM) until set back. */
	refuse(on: boolean): void;
	close(): Promise<void>;
}

/** A real SMTP server in this process (the `smtp-server` package), keeping what it receives. */
export async function startTestSmtp(port = 0, onMail?: (mail: ReceivedMail) => void): Promise<TestSmtp> {
	const mails: ReceivedMail[] = [];
	const waiters = new Set<() => void>();
	let refusing = false;
	const server = new SMTPServer({
		authOptional: true,
		disabledCommands: ['STARTTLS', 'AUTH'],
		logger: false,
		onConnect(_session, callback) {
			if (refusing) return callback(Object.assign(new Error('Test server refuses mail'), { responseCode: 421 }));
			callback();
		},
		// Connections already open (nodemailer pools them) are refused at the sender.
		onMailFrom(_address, _session, callback) {
			if (refusing) return callback(Object.assign(new Error('Test server refuses mail'), { responseCode: 550 }));
			callback();
		},
		onData(stream, session, callback) {
			simpleParser(stream)
				.then((parsed) => {
					const text = parsed.text ?? '';
					const mail: ReceivedMail = {
						from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
						to: session.envelope.rcptTo.map((r) => r.address),
						subject: parsed.subject ?? '',
						text,
						html: typeof parsed.html === 'string' ? parsed.html : '',
						link: text.match(/https?:\/\/\S+/)?.[0] ?? null
					};
					mails.push(mail);
					onMail?.(mail);
					for (const wake of waiters) wake();
					callback();
				})
				.catch(callback);
		}
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => resolve());
	});
	const actual = (server.server.address() as AddressInfo).port;
	return {
		url: `smtp://127.0.0.1:${actual}`,
		port: actual,
		mails,
		refuse(on) {
			refusing = on;
		},
		waitFor(match, timeoutMs = 10_000) {
			return new Promise((resolve, reject) => {
				const check = () => {
					const found = mails.find(match);
					if (!found) return false;
					waiters.delete(check);
					clearTimeout(timer);
					resolve(found);
					return true;
				};
				const timer = setTimeout(() => {
					waiters.delete(check);
					reject(new Error('no such mail arrived'));
				}, timeoutMs);
				waiters.add(check);
				check();
			});
		},
		close: () => new Promise<void>((resolve) => server.close(() => resolve()))
	};
}
