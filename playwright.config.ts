import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 4173);
// The AI tests start a fake Ollama here; the server under test is pointed at it.
process.env.OLLAMA_HOST ??= `http://127.0.0.1:${port + 1}`;
// Fake Shopee (its authorization page, token service and API) and fake LINE listen on fixed ports next to
// the server's (tests/e2e/demo.ts FAKE_PORTS): the server is told where they are before they start.
const shopee = `http://127.0.0.1:${port + 2}`;
const line = `http://127.0.0.1:${port + 3}`;
// The e2e server runs an SMTP server in-process and appends what it receives here (tests/e2e/mailbox.ts).
process.env.E2E_MAILBOX ??= join(tmpdir(), `chatmai-e2e-mailbox-${port}.jsonl`);

/** End-to-end tests in Debian's Chromium against the real server on a fresh PostgreSQL database. */
export default defineConfig({
	testDir: 'tests/e2e',
	outputDir: 'test-results',
	fullyParallel: false,
	workers: 1,
	retries: 0,
	timeout: 60_000,
	expect: { timeout: 10_000 },
	reporter: process.env.CI ? [['list'], ['json', { outputFile: 'test-results/e2e.json' }]] : [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
	use: {
		baseURL: `http://127.0.0.1:${port}`,
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure',
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
		}
	},
	webServer: {
		command: 'node scripts/e2e-server.ts',
		url: `http://127.0.0.1:${port}/healthz`,
		reuseExistingServer: false,
		timeout: 120_000,
		stdout: 'ignore',
		stderr: 'pipe',
		env: {
			PORT: String(port),
			HOST: '127.0.0.1',
			LOG_LEVEL: 'warn',
			CHATMAI_SIGNUP_LIMIT_PER_HOUR: '100000',
			OLLAMA_HOST: process.env.OLLAMA_HOST,
			E2E_MAILBOX: process.env.E2E_MAILBOX,
			// The test partner app the fake Shopee knows (tests/fakes/shopee.ts).
			CHATMAI_SHOPEE_PARTNER_ID: '2001887',
			CHATMAI_SHOPEE_PARTNER_KEY: 'shopee-partner-key-abcdef',
			CHATMAI_SHOPEE_API_URL: shopee,
			CHATMAI_SHOPEE_AUTH_URL: shopee,
			CHATMAI_LINE_API_URL: line
		}
	}
});
