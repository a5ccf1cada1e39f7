// Package provider turns texts into embedding vectors for Resona.
//
// A [Provider] reports its name, model, vector length, batch size and
// per-text character limit, and embeds a batch of texts. Four are built in:
//
//   - [Ollama]: a local Ollama server (POST /api/embed, one request per
//     batch of 10). Default endpoint http://localhost:11434, or OLLAMA_HOST
//     through [New]. Known models have a fixed dimension and a character
//     limit of three characters per context token; other models are probed
//     with a short embedding.
//   - [OpenAI]: the OpenAI embeddings API (POST {endpoint}/embeddings with a
//     bearer key, up to 2048 texts per request) and servers compatible with
//     it. Dimensions asks text-embedding-3 models for shortened vectors.
//   - [Voyage]: the Voyage AI embeddings API, with an input type
//     ("document" or "query"); [Voyage.EmbedQuery] embeds search queries.
//   - [Local]: an offline, deterministic embedder compiled into the binary
//     (feature hashing of words, word pairs and character n-grams). It needs
//     no download and no network, so Resona works out of the box; a neural
//     model gives better results.
//
// [New] builds a provider by name for the command line, reading API keys
// from the environment (OPENAI_API_KEY, VOYAGE_API_KEY).
//
// # Batches and limits
//
// Embed accepts any number of texts and splits them into requests of at
// most MaxBatchSize texts (and, for the cloud APIs, of a bounded total
// length). Texts longer than MaxChars are truncated to it; callers that
// must not lose text chunk it to MaxChars first. Character counts are
// Unicode code points.
//
// # Errors
//
// Errors wrap one sentinel, to be tested with errors.Is: [ErrUnavailable]
// (the endpoint cannot be reached; the message says how to start it),
// [ErrAuth], [ErrRateLimited], [ErrServer], [ErrRequest],
// [ErrModelNotFound], [ErrBadResponse] (malformed JSON, the wrong number or
// size of vectors, NaN or Inf) and [ErrConfig]. HTTP failures also carry an
// [*APIError] with the status and the server's message. A cancelled or
// expired context is returned as the context's error.
//
// # Retries
//
// HTTP 429, 5xx answers and dropped or timed-out connections are retried
// with jittered exponential backoff, honouring Retry-After and OpenAI's
// retry-after-ms, up to HTTPConfig.MaxRetries times and never past the
// context's deadline. Authentication failures, other 4xx answers, refused
// connections and bad responses are not retried.
//
// # Secrets
//
// API keys are sent only in the Authorization header. They are removed
// from server messages quoted in errors, masked when a configuration is
// printed or logged, and never logged; texts are never logged either.
package provider
