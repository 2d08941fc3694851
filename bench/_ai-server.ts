import { randomBytes } from 'node:crypto';
import { readConfig } from '../src/lib/server/env.ts';
import { startApp } from '../server/app.ts';

/**
 * The AI bench's server: ChatMai itself, in its own process (argv: database URL, Ollama URL), so the
 * 50 watching agents and the fake Ollama in the parent do not share its event loop.
 */
const [databaseUrl, ollamaHost] = process.argv.slice(2);
const app = await startApp(
	readConfig({ NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, OLLAMA_HOST: ollamaHost, LOG_LEVEL: 'error', CHATMAI_WORKERS: 'false', CHATMAI_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}` })
);
process.send!({ type: 'ready', url: app.url });
process.on('message', async (message: { type: string }) => {
	if (message.type !== 'stop') return;
	await app.close();
	process.exit(0);
});
