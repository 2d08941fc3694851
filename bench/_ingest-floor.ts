import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/**
 * The bare floor of bench/ingest.ts: a node:http server that does only what a webhook must before
 * it may answer — read the raw body, check LINE's signature in constant time, parse the JSON — and
 * answers 200. Run as a child process; prints its port on stdout.
 */
const secret = process.env.FLOOR_SECRET ?? '';
const server = createServer((req, res) => {
	const chunks: Buffer[] = [];
	req.on('data', (c: Buffer) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);
		const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('base64'));
		const got = Buffer.from(String(req.headers['x-line-signature'] ?? ''));
		if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
			res.writeHead(401).end();
			return;
		}
		try {
			JSON.parse(body.toString('utf8'));
		} catch {
			res.writeHead(400).end();
			return;
		}
		res.writeHead(200, { 'content-length': '0' }).end();
	});
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
