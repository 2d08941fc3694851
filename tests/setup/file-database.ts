import { afterAll, inject } from 'vitest';
import { adminQuery } from '../helpers/db.ts';

/**
 * Every test file gets a database of its own, cloned from the run's migrated one (the template,
 * which nothing connects to). Each file starts servers whose workers take any pending work in
 * their database, as several ChatMai instances do; sharing one database, a file's replies and
 * webhooks could be sent and mirrored by another file's server, whose documents its test is not
 * watching. Cloning a template is a file copy, about a tenth of a second.
 */
const template = new URL(inject('databaseUrl')).pathname.slice(1);
const name = `${template}_f${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

for (let attempt = 1; ; attempt++) {
	try {
		await adminQuery(`create database ${name} template ${template}`);
		break;
	} catch (error) {
		// Another file's clone of the same template is being made this instant.
		if (attempt >= 20 || !/being accessed by other users/.test(String((error as Error).message))) throw error;
		await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
	}
}
const url = new URL(inject('databaseUrl'));
url.pathname = `/${name}`;
process.env.CHATMAI_TEST_FILE_DATABASE_URL = url.toString();

afterAll(() => adminQuery(`drop database if exists ${name} with (force)`));
