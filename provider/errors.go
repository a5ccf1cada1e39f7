package provider

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package wraps at most one of
// them, together with the provider name and enough context to act on; test
// with errors.Is.
var (
	// ErrUnavailable means the endpoint could not be reached (connection
	// refused, DNS failure, timeouts, a connection dropped on every attempt).
	// The message says how to bring the service up.
	ErrUnavailable = errors.New("embedding provider unavailable")

	// ErrAuth means the endpoint rejected the credentials (HTTP 401 or 403).
	// Requests failing this way are never retried.
	ErrAuth = errors.New("embedding provider rejected the credentials")

	// ErrRateLimited means the endpoint kept answering HTTP 429 until the
	// retry budget or the context ran out.
	ErrRateLimited = errors.New("embedding provider rate limit exceeded")

	// ErrServer means the endpoint kept answering with a 5xx status until
	// the retry budget ran out.
	ErrServer = errors.New("embedding provider server error")

	// ErrRequest means the endpoint refused the request itself (a 4xx other
	// than 401, 403 and 429): an unknown model, an input that is too long, a
	// wrong endpoint path.
	ErrRequest = errors.New("embedding provider refused the request")

	// ErrModelNotFound means the model is not installed or not known to the
	// endpoint (for Ollama: not pulled yet).
	ErrModelNotFound = errors.New("embedding model not found")

	// ErrBadResponse means a response could not be used: malformed JSON, too
	// large, the wrong number of vectors, the wrong dimension, or NaN/Inf
	// components.
	ErrBadResponse = errors.New("embedding provider returned a bad response")

	// ErrConfig means a provider could not be built from its configuration
	// (unknown provider name, missing API key, unknown model without
	// dimensions, invalid option values).
	ErrConfig = errors.New("invalid embedding provider configuration")
)

// APIError describes a non-2xx HTTP answer. It unwraps to the matching
// sentinel (ErrAuth, ErrRateLimited, ErrServer, ErrRequest or
// ErrModelNotFound). Message is the server's own explanation, shortened, with
// the API key removed.
type APIError struct {
	Provider   string // "ollama", "openai", "voyage"
	StatusCode int
	Message    string
	Code       string // the API's error code, if it sends one (OpenAI)
	Attempts   int    // requests sent, retries included
	Hint       string // what the user can do about it; may be empty
	kind       error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %v: HTTP %d", e.Provider, e.kind, e.StatusCode)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the sentinel this status maps to.
func (e *APIError) Unwrap() error { return e.kind }
