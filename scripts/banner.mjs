// Printed by `npm start` before wrangler dev takes over the terminal.
const url = "http://127.0.0.1:8787";
console.log(`
  Sundial (local development)
  API           ${url}/v1   (health: ${url}/v1/health, OpenAPI, with the key: ${url}/openapi.json)
  API key       dev.sundial-local-development-key   (admin of namespace "default"; local only)
  State         .wrangler/state   (delete it to start from scratch)
  Try           curl -H "Authorization: Bearer dev.sundial-local-development-key" ${url}/v1/workflows/workers/whoami
`);
