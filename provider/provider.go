package provider

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Provider turns texts into embedding vectors.
//
// Implementations are safe for concurrent use. Embed accepts any number of
// texts: it splits them into requests of at most MaxBatchSize texts itself,
// so MaxBatchSize is a hint for callers that want to report progress per
// request. The result has one vector of length Dimensions per input text, in
// input order, and never contains NaN or Inf.
type Provider interface {
	// Name is the provider kind: "ollama", "openai", "voyage" or "local".
	Name() string
	// Model is the model identifier stored next to each vector.
	Model() string
	// Dimensions is the length of every returned vector.
	Dimensions() int
	// MaxBatchSize is the number of texts sent in one request.
	MaxBatchSize() int
	// MaxChars is the longest text, in characters (Unicode code points),
	// the model takes in reliably; callers chunk longer texts to this size.
	// Providers truncate longer texts as a safety net. 0 means the provider
	// imposes no limit and callers use their own default chunk size.
	MaxChars() int
	// Embed returns one vector per text.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// HealthChecker is implemented by providers that can check, without
// embedding real data, that they are ready: the endpoint answers, the
// credentials are accepted and the model is available. A nil error means
// healthy; otherwise the error wraps one of the sentinels.
type HealthChecker interface {
	HealthCheck(ctx context.Context) error
}

// QueryEmbedder is implemented by providers whose models embed search
// queries differently from the documents they search (Voyage's input_type).
// Callers embedding a search query should prefer EmbedQuery when available.
type QueryEmbedder interface {
	EmbedQuery(ctx context.Context, texts []string) ([][]float32, error)
}

// Defaults for HTTPConfig.
const (
	DefaultMaxRetries       = 4
	DefaultRetryBaseDelay   = 500 * time.Millisecond
	DefaultRetryMaxDelay    = 30 * time.Second
	DefaultMaxResponseBytes = 256 << 20
	// DefaultCloudTimeout bounds one attempt against a cloud API.
	DefaultCloudTimeout = 2 * time.Minute
	// DefaultOllamaTimeout bounds one attempt against Ollama, which may have
	// to load the model from disk first and runs on the local CPU or GPU.
	DefaultOllamaTimeout = 5 * time.Minute
	// healthCheckTimeout bounds a health check when the context allows more.
	healthCheckTimeout = 5 * time.Second
)

// HTTPConfig holds the transport settings shared by the HTTP providers.
// The zero value selects the defaults.
type HTTPConfig struct {
	// Client sends the requests. Nil selects a client whose Timeout is
	// Timeout (or the provider's default).
	Client *http.Client
	// Timeout bounds one attempt (connect, send, read the whole answer) when
	// Client is nil. The caller's context bounds the whole call.
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt on HTTP
	// 429, 5xx and dropped connections. 0 selects DefaultMaxRetries; a
	// negative value disables retries.
	MaxRetries int
	// RetryBaseDelay is the first backoff delay; it doubles on each retry,
	// with jitter, up to RetryMaxDelay. A Retry-After (or retry-after-ms)
	// header from the server takes precedence. 0 selects the defaults.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// MaxResponseBytes caps the size of a response body. 0 selects
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Logger receives debug records of each request (path, attempt, status,
	// duration, number of texts). Texts and API keys are never logged. Nil
	// disables logging.
	Logger *slog.Logger
}
