/**
 * Ports: small interfaces that code in src/lib needs at run time and that server/ fills in at
 * start-up from collab/ and connectors/ (arrows point down; nothing here imports them).
 */

/** Writes into live conversation documents; implemented by collab/ (see collab/README.md). */
export interface LiveDocuments {
	/** Placeholder until collab/ lands; replaced by the real API. */
	readonly ready: boolean;
}

export interface Ports {
	live: LiveDocuments;
}
