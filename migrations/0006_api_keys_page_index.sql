-- GET /v1/admin/keys pages a namespace's keys by (created_at, key_id). The 0001 index stopped at
-- created_at, so every page sorted the namespace's keys from the cursor on in a temporary B-tree;
-- with key_id in the index a page is read in order and stops at its LIMIT.
CREATE INDEX api_keys_page ON api_keys (namespace, created_at, key_id);
DROP INDEX api_keys_namespace;
