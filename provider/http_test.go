package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "sk-test-0123456789abcdefSECRET"

func newTestOpenAI(t *testing.T, endpoint string, cfg OpenAIConfig) *OpenAI {
	t.Helper()
	cfg.Endpoint = endpoint
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	if cfg.HTTPConfig == (HTTPConfig{}) {
		cfg.HTTPConfig = fastHTTP()
	}
	p, err := NewOpenAI(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRetryOn429ThenSuccess(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		if n < 2 {
			w.Header().Set("Retry-After-Ms", "60")
			writeJSON(w, 429, map[string]any{"error": map[string]string{"message": "Rate limit reached", "type": "requests"}})
			return
		}
		writeList(w, req.inputs(t), 1536, nil)
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{})
	start := time.Now()
	got, err := p.Embed(context.Background(), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(srv.requests()) != 3 {
		t.Errorf("%d vectors after %d requests, want 2 after 3", len(got), len(srv.requests()))
	}
	// The server's retry-after-ms (60ms twice) wins over the 1ms backoff.
	if el := time.Since(start); el < 120*time.Millisecond {
		t.Errorf("retried after %v, want at least 120ms as the server asked", el)
	}
	for _, r := range srv.requests() {
		if got := r.inputs(t); len(got) != 2 || got[0] != "a" {
			t.Errorf("retry sent a different body: %v", got)
		}
	}
}

func TestRateLimitExhausted(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeJSON(w, 429, map[string]any{"error": map[string]string{"message": "slow down"}})
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{})
	_, err := p.Embed(context.Background(), []string{"a"})
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if n := len(srv.requests()); n != 3 {
		t.Errorf("%d requests, want 1 + 2 retries", n)
	}
}

func TestServerErrorsExhaustRetries(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeJSON(w, 500, map[string]any{"error": map[string]string{"message": "The server had an error"}})
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{HTTPConfig: HTTPConfig{MaxRetries: 3, RetryBaseDelay: time.Millisecond}})
	_, err := p.Embed(context.Background(), []string{"a"})
	var apiErr *APIError
	if !errors.Is(err, ErrServer) || !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want ErrServer", err)
	}
	if n := len(srv.requests()); n != 4 || apiErr.Attempts != 4 {
		t.Errorf("%d requests, %d attempts reported; want 4", n, apiErr.Attempts)
	}
	if apiErr.StatusCode != 500 || apiErr.Message != "The server had an error" {
		t.Errorf("APIError = %+v", apiErr)
	}
	if !strings.Contains(err.Error(), "after 4 attempts") {
		t.Errorf("message %q does not say how often it tried", err)
	}
}

func TestRetriesDisabled(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		w.WriteHeader(503)
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{HTTPConfig: HTTPConfig{MaxRetries: -1}})
	if _, err := p.Embed(context.Background(), []string{"a"}); !errors.Is(err, ErrServer) || len(srv.requests()) != 1 {
		t.Errorf("err = %v after %d requests; want ErrServer after 1", err, len(srv.requests()))
	}
}

func TestAuthErrorNotRetriedAndKeyRedacted(t *testing.T) {
	for _, status := range []int{401, 403} {
		srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
			// A server that echoes the credentials back must not leak them.
			writeJSON(w, status, map[string]any{"error": map[string]string{
				"message": "Incorrect API key provided: " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "),
			}})
		})
		var logs bytes.Buffer
		cfg := fastHTTP()
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		p := newTestOpenAI(t, srv.URL, OpenAIConfig{HTTPConfig: cfg})
		_, err := p.Embed(context.Background(), []string{"my private diary entry"})
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("%d: err = %v, want ErrAuth", status, err)
		}
		if n := len(srv.requests()); n != 1 {
			t.Errorf("%d: %d requests, want no retry", status, n)
		}
		if got := srv.requests()[0].Header.Get("Authorization"); got != "Bearer "+testKey {
			t.Errorf("Authorization = %q", got)
		}
		if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error reveals the key: %v", err)
		}
		if !strings.Contains(err.Error(), "[redacted]") || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
			t.Errorf("error %q lacks the redacted server message or the hint", err)
		}
		if logs.Len() == 0 {
			t.Errorf("no debug log written")
		}
		if s := logs.String(); strings.Contains(s, "SECRET") || strings.Contains(s, "diary") {
			t.Errorf("logs reveal the key or the text: %s", s)
		}
	}
}

func TestMalformedJSONResponse(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"object":"list","data":[{"index":0,"embedding":[0.1,`))
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{})
	if _, err := p.Embed(context.Background(), []string{"a"}); !errors.Is(err, ErrBadResponse) {
		t.Errorf("err = %v, want ErrBadResponse", err)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeList(w, req.inputs(t), 1536, nil)
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{HTTPConfig: HTTPConfig{MaxResponseBytes: 4096}})
	_, err := p.Embed(context.Background(), []string{"a"})
	if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), "larger than 4096 bytes") {
		t.Errorf("err = %v, want ErrBadResponse for the size", err)
	}
}

func TestContextCancelledMidRequest(t *testing.T) {
	arrived := make(chan struct{})
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		close(arrived)
		<-r.Context().Done() // hang until the client gives up
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	start := time.Now()
	_, err := p.Embed(ctx, []string{"a"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrUnavailable) {
		t.Errorf("a cancelled call is not an unavailable provider: %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("cancellation took %v", el)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests after cancellation, want 1", n)
	}
}

func TestDeadlineShorterThanRetryAfter(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(429)
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := p.Embed(ctx, []string{"a"})
	if !errors.Is(err, ErrRateLimited) {
		t.Errorf("err = %v, want ErrRateLimited", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("waited %v for a retry the deadline does not allow", el)
	}
}

func TestPerAttemptTimeoutRetried(t *testing.T) {
	var calls atomic.Int32
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		if calls.Add(1) == 1 {
			select { // the first attempt stalls past the client timeout
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return
		}
		writeList(w, req.inputs(t), 1536, nil)
	})
	cfg := fastHTTP()
	cfg.Timeout = 100 * time.Millisecond
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{HTTPConfig: cfg})
	if _, err := p.Embed(context.Background(), []string{"a"}); err != nil {
		t.Errorf("a timed-out attempt should be retried: %v", err)
	}
}

func TestUnreachableEndpoint(t *testing.T) {
	p := newTestOpenAI(t, closedURL(t), OpenAIConfig{})
	start := time.Now()
	_, err := p.Embed(context.Background(), []string{"a"})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "check the endpoint URL") {
		t.Errorf("err = %v, want ErrUnavailable with a hint", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("a refused connection took %v to report", el)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		header   http.Header
		min, max time.Duration
	}{
		{http.Header{}, 0, 0},
		{http.Header{"Retry-After": {"3"}}, 3 * time.Second, 3 * time.Second},
		{http.Header{"Retry-After": {"0"}}, 0, 0},
		{http.Header{"Retry-After": {"-4"}}, 0, 0},
		{http.Header{"Retry-After": {"soon"}}, 0, 0},
		{http.Header{"Retry-After": {"100000"}}, 5 * time.Minute, 5 * time.Minute},
		{http.Header{"Retry-After": {future}}, 85 * time.Second, 90 * time.Second},
		{http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"1"}}, 250 * time.Millisecond, 250 * time.Millisecond},
	} {
		if got := retryAfter(tc.header); got < tc.min || got > tc.max {
			t.Errorf("retryAfter(%v) = %v, want [%v, %v]", tc.header, got, tc.min, tc.max)
		}
	}
}

func TestBackoff(t *testing.T) {
	tr := &transport{baseDelay: 100 * time.Millisecond, maxDelay: time.Second}
	for attempt, full := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		for range 50 {
			if d := tr.backoff(attempt); d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
}

func TestServerMessage(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":{"message":"Invalid 'input[0]': empty string.","type":"invalid_request_error"}}`: "Invalid 'input[0]': empty string.",
		`{"error":"model \"x\" not found"}`:         `model "x" not found`,
		`{"detail":"The input_type must be query"}`: "The input_type must be query",
		"<html>\n<body>Bad   Gateway</body></html>": "<html> <body>Bad Gateway</body></html>",
		"": "",
	} {
		if got, _ := serverMessage([]byte(body)); got != want {
			t.Errorf("serverMessage(%q) = %q, want %q", body, got, want)
		}
	}
	long, _ := serverMessage([]byte(strings.Repeat("ü", 400)))
	if !strings.HasSuffix(long, "…") || len(long) > 310 || !utf8ValidString(long) {
		t.Errorf("long message not shortened cleanly: %q", long)
	}
}

func utf8ValidString(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	for name, err := range map[string]error{
		"relative endpoint": func() error { _, err := NewOllama(ctx, OllamaConfig{Endpoint: "localhost:11434"}); return err }(),
		"negative dims":     func() error { _, err := NewOllama(ctx, OllamaConfig{Dimensions: -1}); return err }(),
		"openai no key":     func() error { _, err := NewOpenAI(ctx, OpenAIConfig{}); return err }(),
		"voyage no key":     func() error { _, err := NewVoyage(VoyageConfig{}); return err }(),
	} {
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
}

func TestSplitBatches(t *testing.T) {
	in := []string{"aaaa", "bb", "cccccc", "d", "eeeeeeeeee", "f"}
	for _, tc := range []struct {
		count, budget int
		want          string
	}{
		{10, 0, "[[aaaa bb cccccc d eeeeeeeeee f]]"},
		{2, 0, "[[aaaa bb] [cccccc d] [eeeeeeeeee f]]"},
		{10, 8, "[[aaaa bb] [cccccc d] [eeeeeeeeee] [f]]"},
		{1, 0, "[[aaaa] [bb] [cccccc] [d] [eeeeeeeeee] [f]]"},
		{0, 0, "[[aaaa bb cccccc d eeeeeeeeee f]]"},
	} {
		if got := fmt.Sprint(splitBatches(in, tc.count, tc.budget)); got != tc.want {
			t.Errorf("splitBatches(count %d, budget %d) = %s, want %s", tc.count, tc.budget, got, tc.want)
		}
	}
}

func TestTruncateRunes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"}, {"hello", 5, "hello"}, {"hello", 3, "hel"},
		{"größer", 3, "grö"}, {"日本語テキスト", 2, "日本"}, {"abc", 0, "abc"},
	} {
		if got := truncateRunes(tc.in, tc.n); got != tc.want {
			t.Errorf("truncateRunes(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestCheckVectors(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	for _, tc := range []struct {
		name string
		vecs [][]float32
		n    int
		dim  int
		ok   bool
	}{
		{"ok", [][]float32{{1, 2}, {3, 4}}, 2, 2, true},
		{"any dim", [][]float32{{1, 2, 3}}, 1, 0, true},
		{"count", [][]float32{{1, 2}}, 2, 2, false},
		{"dim", [][]float32{{1, 2}, {3}}, 2, 2, false},
		{"ragged without dim", [][]float32{{1, 2}, {3}}, 2, 0, false},
		{"empty vector", [][]float32{{}}, 1, 0, false},
		{"NaN", [][]float32{{1, nan}}, 1, 2, false},
		{"Inf", [][]float32{{inf, 1}}, 1, 2, false},
	} {
		err := checkVectors("test", tc.vecs, tc.n, tc.dim)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrBadResponse)) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}
