import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that a test can cut, to see how ChatMai behaves when its
 * database goes away and comes back.
 */
export async function startTcpProxy(targetPort = 5432, targetHost = '127.0.0.1') {
	const sockets = new Set<Socket>();
	let down = false;
	const server = createServer((client) => {
		if (down) return client.destroy();
		const upstream = createConnection(targetPort, targetHost);
		sockets.add(client).add(upstream);
		client.pipe(upstream).pipe(client);
		const drop = () => {
			client.destroy();
			upstream.destroy();
			sockets.delete(client);
			sockets.delete(upstream);
		};
		client.on('error', drop).on('close', drop);
		upstream.on('error', drop).on('close', drop);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as AddressInfo).port,
		/** Drops every connection and refuses new ones. */
		cut() {
			down = true;
			for (const s of sockets) s.destroy();
			sockets.clear();
		},
		restore() {
			down = false;
		},
		close: () => new Promise<void>((resolve) => {
			for (const s of sockets) s.destroy();
			server.close(() => resolve());
		})
	};
}
