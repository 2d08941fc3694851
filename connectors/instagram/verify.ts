/** Instagram webhooks share Meta's X-Hub-Signature-256: https://developers.facebook.com/docs/graph-api/webhooks/getting-started */
export { metaHandshake as handshake, verifyMetaSignature as verify } from '../shared/meta.ts';
