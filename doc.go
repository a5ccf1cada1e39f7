// Package resona stores semantic embeddings of personal knowledge (notes,
// Tana nodes, mail) in a Lance table and searches them by meaning.
//
// An EmbeddingService owns one table, "embeddings", in a database directory
// (a path given as "x.db" maps to "x.lance", as in TypeScript Resona, so
// both share one table). It embeds items through a provider.Provider,
// skips items whose text did not change (SHA-256 of the embedded text),
// splits long texts into overlapping chunks stored as "<id>#0", "<id>#1"…,
// and collapses chunk hits to their item in search results.
//
// GetDiagnostics reports the table's health without writing anything;
// Maintain compacts small fragments, rebuilds a stale vector index and
// removes old versions. Set RESONA_DEBUG=1 to log every step with
// log/slog on standard error; texts and API keys are never logged.
//
// Search results carry the engine's Distance (squared euclidean by
// default) and, as TypeScript Resona, Similarity = 1 − Distance. That is
// not a cosine similarity: for unit vectors it is 2·cos − 1, often
// negative for unrelated texts (see SearchResult).
//
// UnifiedSearch searches several sources ("tana/main", "email/work") at
// once and merges their results by similarity.
package resona
