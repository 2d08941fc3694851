import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { startTestApp } from '../helpers/app.ts';

// The privacy policy promises TLS 1.3 in transit: served directly, ChatMai speaks nothing older.
const dir = mkdtempSync(join(tmpdir(), 'chatmai-tls-'));
let app: RunningApp;

beforeAll(async () => {
	execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
		'-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
	app = await startTestApp({ TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem'), CHATMAI_WORKERS: 'false' });
});
afterAll(async () => {
	await app?.close();
	rmSync(dir, { recursive: true, force: true });
});

function handshake(maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<string> {
	return new Promise((resolve, reject) => {
		const socket = connect({ host: '127.0.0.1', port: app.port, rejectUnauthorized: false, maxVersion, servername: 'localhost' }, () => {
			const protocol = socket.getProtocol() ?? '';
			socket.end();
			resolve(protocol);
		});
		socket.on('error', reject);
	});
}

describe('TLS served directly', () => {
	it('speaks TLS 1.3', async () => {
		expect(await handshake('TLSv1.3')).toBe('TLSv1.3');
		expect(app.url).toMatch(/^https:/);
	});

	it('refuses a client that offers at most TLS 1.2', async () => {
		await expect(handshake('TLSv1.2')).rejects.toThrow();
	});

	it('serves the app over TLS with HSTS', async () => {
		const res = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
			const socket = connect({ host: '127.0.0.1', port: app.port, rejectUnauthorized: false, servername: 'localhost' }, () => {
				socket.write(`GET /login HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\nConnection: close\r\n\r\n`);
			});
			let raw = '';
			socket.on('data', (chunk) => (raw += chunk));
			socket.on('end', () => {
				const [head] = raw.split('\r\n\r\n');
				const [statusLine, ...lines] = head.split('\r\n');
				const headers: Record<string, string> = {};
				for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
				resolve({ status: Number(statusLine.split(' ')[1]), headers });
			});
			socket.on('error', reject);
		});
		expect(res.status).toBe(200);
		expect(res.headers['strict-transport-security']).toContain('max-age=');
	});
});
