import { appendFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { buildIfStale } from './build-if-stale.ts';

// The server Playwright starts: the real one, on a database created fresh for this run.
const admin = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `chatmai_e2e_${process.pid}`;
const client = new pg.Client({ connectionString: admin });
await client.connect();
await client.query(`drop database if exists ${name} with (force)`);
await client.query(`create database ${name}`);
await client.end();

const url = new URL(admin);
url.pathname = `/${name}`;
process.env.DATABASE_URL = url.toString();
process.env.CHATMAI_SEED_DEMO ??= 'true';
// Test mode: the suite connects fake platforms with their own API hosts (refused in production).
process.env.NODE_ENV = 'test';
// Every browser and API client of the suite logs in from 127.0.0.1: one office of many agents.
process.env.CHATMAI_LOGIN_LIMIT_PER_IP ??= '1000';

async function dropDatabase() {
	const c = new pg.Client({ connectionString: admin });
	await c.connect();
	await c.query(`drop database if exists ${name} with (force)`);
	await c.end();
}
process.on('exit', () => {});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.prependListener(signal, () => void dropDatabase().catch(() => {}));

// Mail goes to a real SMTP server in this process; each mail it receives is appended to the mailbox
// file the specs read (tests/e2e/mailbox.ts), so sign-up, invitation and reset links can be followed.
if (!process.env.SMTP_URL && process.env.E2E_MAILBOX) {
	const mailbox = process.env.E2E_MAILBOX;
	writeFileSync(mailbox, '');
	const { startTestSmtp } = await import('../tests/helpers/smtp.ts');
	const smtp = await startTestSmtp(0, (mail) => appendFileSync(mailbox, JSON.stringify(mail) + '\n'));
	process.env.SMTP_URL = smtp.url;
}

buildIfStale();
await import('../server/index.ts');
