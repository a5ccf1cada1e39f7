package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// transport is the HTTP plumbing shared by the Ollama, OpenAI and Voyage
// providers: JSON bodies, authentication, bounded retries with jittered
// exponential backoff, response size limits and error classification.
type transport struct {
	provider   string
	endpoint   string // base URL without trailing slash
	client     *http.Client
	maxRetries int
	baseDelay  time.Duration
	maxDelay   time.Duration
	maxBody    int64
	log        *slog.Logger
	// setAuth adds credentials to a request. Keeping the key inside a
	// closure keeps it out of fmt's reflection-based printing of structs.
	setAuth func(http.Header)
	// redact removes the API key from text that came from the server.
	redact func(string) string
	// unavailableHint tells the user how to bring the endpoint up.
	unavailableHint string
	// authHint tells the user where the credentials come from.
	authHint string
	// healthTimeout bounds a health check.
	healthTimeout time.Duration
}

func newTransport(provider, endpoint string, cfg HTTPConfig, defaultTimeout time.Duration) (*transport, error) {
	endpoint = strings.TrimRight(strings.TrimSpace(endpoint), "/")
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return nil, fmt.Errorf("%w: %s: endpoint %q must start with http:// or https://", ErrConfig, provider, endpoint)
	}
	t := &transport{
		provider:   provider,
		endpoint:   endpoint,
		client:     cfg.Client,
		maxRetries: cfg.MaxRetries,
		baseDelay:  cfg.RetryBaseDelay,
		maxDelay:   cfg.RetryMaxDelay,
		maxBody:    cfg.MaxResponseBytes,
		log:        cfg.Logger,
		redact:     func(s string) string { return s },

		healthTimeout: healthCheckTimeout,
	}
	if t.client == nil {
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = defaultTimeout
		}
		t.client = &http.Client{Timeout: timeout}
	}
	switch {
	case t.maxRetries == 0:
		t.maxRetries = DefaultMaxRetries
	case t.maxRetries < 0:
		t.maxRetries = 0
	}
	if t.baseDelay <= 0 {
		t.baseDelay = DefaultRetryBaseDelay
	}
	if t.maxDelay <= 0 {
		t.maxDelay = DefaultRetryMaxDelay
	}
	if t.maxDelay < t.baseDelay {
		t.maxDelay = t.baseDelay
	}
	if t.maxBody <= 0 {
		t.maxBody = DefaultMaxResponseBytes
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	return t, nil
}

// withBearer makes the transport send key as a bearer token and scrub it
// from every message taken from a response.
func (t *transport) withBearer(key string) {
	header := "Bearer " + key
	t.setAuth = func(h http.Header) { h.Set("Authorization", header) }
	t.redact = func(s string) string {
		if key == "" {
			return s
		}
		return strings.ReplaceAll(s, key, "[redacted]")
	}
}

// call sends one JSON request (body may be nil for GET) and decodes a 2xx
// JSON answer into out. retries overrides the configured retry budget when
// non-negative.
func (t *transport) call(ctx context.Context, method, path string, body, out any, retries int) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s: encode request: %w", t.provider, err)
		}
	}
	if retries < 0 {
		retries = t.maxRetries
	}
	url := t.endpoint + path
	for attempt := 1; ; attempt++ {
		start := time.Now()
		status, header, data, err := t.send(ctx, method, url, payload)
		t.log.LogAttrs(ctx, slog.LevelDebug, "provider request",
			slog.String("provider", t.provider), slog.String("method", method),
			slog.String("path", path), slog.Int("attempt", attempt),
			slog.Int("status", status), slog.Duration("duration", time.Since(start)),
			slog.Int("request_bytes", len(payload)), slog.Int("response_bytes", len(data)))

		var retryable bool
		var failure error
		var wait time.Duration
		switch {
		case err != nil:
			if ctxErr := ctx.Err(); ctxErr != nil {
				return fmt.Errorf("%s: %s %s: %w", t.provider, method, path, ctxErr)
			}
			failure, retryable = t.networkError(method, path, err, attempt)
		case status >= 200 && status < 300:
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("%w: %s: %s %s: decode response: %v", ErrBadResponse, t.provider, method, path, err)
			}
			return nil
		default:
			apiErr := t.statusError(status, data, attempt)
			failure = apiErr
			retryable = status == http.StatusTooManyRequests ||
				(status >= 500 && status != http.StatusNotImplemented && status != http.StatusHTTPVersionNotSupported)
			wait = retryAfter(header)
		}
		if !retryable || attempt > retries {
			return failure
		}
		if wait <= 0 {
			wait = t.backoff(attempt)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Sleeping would only end in a context error; report the cause.
			return failure
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%s: %s %s: waiting to retry: %w (last error: %v)", t.provider, method, path, ctx.Err(), failure)
		case <-timer.C:
		}
	}
}

// send performs one attempt and reads the whole (size-limited) body.
func (t *transport) send(ctx context.Context, method, url string, payload []byte) (int, http.Header, []byte, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, nil, nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "resona-go")
	if t.setAuth != nil {
		t.setAuth(req.Header)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, t.maxBody+1))
	if err != nil {
		return resp.StatusCode, resp.Header, nil, err
	}
	if int64(len(data)) > t.maxBody {
		return resp.StatusCode, resp.Header, nil, &oversizeError{limit: t.maxBody}
	}
	return resp.StatusCode, resp.Header, data, nil
}

type oversizeError struct{ limit int64 }

func (e *oversizeError) Error() string {
	return fmt.Sprintf("response larger than %d bytes", e.limit)
}

// networkError classifies a failed attempt that produced no usable answer.
func (t *transport) networkError(method, path string, err error, attempt int) (error, bool) {
	var big *oversizeError
	if errors.As(err, &big) {
		return fmt.Errorf("%w: %s: %s %s: %v", ErrBadResponse, t.provider, method, path, big), false
	}
	msg := t.redact(err.Error())
	wrap := func() error {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %s %s", t.provider, method, path)
		if attempt > 1 {
			fmt.Fprintf(&b, " (%d attempts)", attempt)
		}
		fmt.Fprintf(&b, ": %s", msg)
		if t.unavailableHint != "" {
			fmt.Fprintf(&b, ": %s", t.unavailableHint)
		}
		return fmt.Errorf("%w: %s", ErrUnavailable, b.String())
	}
	// Nothing listens there, or the name does not resolve: retrying will
	// not help, and a quick answer with the hint is what the user needs.
	var dnsErr *net.DNSError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dnsErr) {
		return wrap(), false
	}
	return wrap(), true
}

// statusError turns a non-2xx answer into an *APIError.
func (t *transport) statusError(status int, body []byte, attempt int) *APIError {
	msg, code := serverMessage(body)
	e := &APIError{
		Provider:   t.provider,
		StatusCode: status,
		Message:    t.redact(msg),
		Code:       t.redact(code),
		Attempts:   attempt,
	}
	switch {
	case code == "model_not_found":
		e.kind = ErrModelNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.kind = ErrAuth
		e.Hint = t.authHint
	case status == http.StatusTooManyRequests:
		e.kind = ErrRateLimited
	case status >= 500:
		e.kind = ErrServer
	default:
		e.kind = ErrRequest
	}
	return e
}

// serverMessage extracts the human-readable part of an error body in the
// shapes the supported APIs use, falling back to the raw text, and the
// machine-readable error code where there is one (OpenAI).
func serverMessage(body []byte) (msg, code string) {
	var shaped struct {
		Error  json.RawMessage `json:"error"`
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &shaped) == nil {
		var s string
		var obj struct {
			Message string `json:"message"`
			Code    any    `json:"code"`
		}
		switch {
		case json.Unmarshal(shaped.Error, &s) == nil && s != "":
			msg = s // Ollama: {"error": "..."}
		case json.Unmarshal(shaped.Error, &obj) == nil && obj.Message != "":
			msg = obj.Message // OpenAI: {"error": {"message": "...", "code": "..."}}
			if c, ok := obj.Code.(string); ok {
				code = c
			}
		case json.Unmarshal(shaped.Detail, &s) == nil && s != "":
			msg = s // Voyage: {"detail": "..."}
		}
	}
	if msg == "" {
		msg = string(body)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	const maxLen = 300
	if len(msg) > maxLen {
		cut := maxLen
		for cut > 0 && !isRuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg, code
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// backoff returns the delay before retry number attempt (1-based): the
// exponential delay capped at maxDelay, with "equal jitter" (half fixed,
// half random) so concurrent clients spread out without ever retrying
// immediately.
func (t *transport) backoff(attempt int) time.Duration {
	d := t.baseDelay
	for i := 1; i < attempt && d < t.maxDelay; i++ {
		d *= 2
	}
	d = min(d, t.maxDelay)
	half := d / 2
	return half + rand.N(half+1)
}

// retryAfter reads the server's requested delay: retry-after-ms (sent by
// OpenAI) or Retry-After in seconds or as an HTTP date. Zero means none.
func retryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	const ceiling = 5 * time.Minute
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return min(time.Duration(ms*float64(time.Millisecond)), ceiling)
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return min(time.Duration(secs*float64(time.Second)), ceiling)
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(at), 0), ceiling)
	}
	return 0
}

// health runs a health check under healthCheckTimeout. Running out of that
// time, as opposed to the caller's, means the endpoint is not answering.
func (t *transport) health(ctx context.Context, check func(context.Context) error) error {
	hctx, cancel := context.WithTimeout(ctx, t.healthTimeout)
	defer cancel()
	err := check(hctx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		msg := fmt.Sprintf("%s: no answer within %v", t.provider, t.healthTimeout)
		if t.unavailableHint != "" {
			msg += ": " + t.unavailableHint
		}
		return fmt.Errorf("%w: %s", ErrUnavailable, msg)
	}
	return err
}
