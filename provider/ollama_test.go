package provider

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func newTestOllama(t *testing.T, endpoint string, cfg OllamaConfig) *Ollama {
	t.Helper()
	cfg.Endpoint = endpoint
	if cfg.HTTPConfig == (HTTPConfig{}) {
		cfg.HTTPConfig = fastHTTP()
	}
	p, err := NewOllama(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOllamaEmbedRequests(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeOllama(w, req.inputs(t), 1024)
	})
	p := newTestOllama(t, srv.URL, OllamaConfig{Model: "mxbai-embed-large"})
	in := texts(23)
	in[4] = strings.Repeat("é", 2000) // longer than mxbai's 1536 characters
	got, err := p.Embed(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 3 {
		t.Fatalf("sent %d requests for 23 texts, want 3 (batches of 10)", len(reqs))
	}
	var sent []string
	for i, r := range reqs {
		if r.Method != "POST" || r.Path != "/api/embed" {
			t.Errorf("request %d: %s %s, want POST /api/embed", i, r.Method, r.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if a := r.Header.Get("Authorization"); a != "" {
			t.Errorf("Ollama request carries Authorization %q", a)
		}
		if r.Body["model"] != "mxbai-embed-large" {
			t.Errorf("model = %v", r.Body["model"])
		}
		if len(r.Body) != 2 {
			t.Errorf("body has fields %v, want model and input only", r.Body)
		}
		batch := r.inputs(t)
		if want := []int{10, 10, 3}[i]; len(batch) != want {
			t.Errorf("request %d has %d texts, want %d", i, len(batch), want)
		}
		sent = append(sent, batch...)
	}
	if n := utf8.RuneCountInString(sent[4]); n != 1536 {
		t.Errorf("long text sent with %d characters, want truncation to 1536", n)
	}
	sent[4] = in[4]
	if !slices.Equal(sent, in) {
		t.Errorf("texts sent out of order or altered")
	}
	if len(got) != len(in) {
		t.Fatalf("got %d vectors", len(got))
	}
	for i, v := range got {
		if want := vectorFor(reqTextAt(sent, in, i), 1024); !slices.Equal(v, want) {
			t.Fatalf("vector %d does not belong to text %d", i, i)
		}
	}
}

// reqTextAt returns the text the server saw for input i.
func reqTextAt(sent, in []string, i int) string {
	if i == 4 {
		return truncateRunes(in[4], 1536)
	}
	return sent[i]
}

func TestOllamaModelTable(t *testing.T) {
	for _, tc := range []struct {
		model          string
		dims, maxChars int
	}{
		{"nomic-embed-text", 768, 24576},
		{"nomic-embed-text:latest", 768, 24576},
		{"mxbai-embed-large", 1024, 1536},
		{"all-minilm", 384, 1536},
		{"bge-m3", 1024, 24576},
		{"snowflake-arctic-embed", 1024, 1536},
	} {
		// A closed port: known models must not need the server.
		p, err := NewOllama(context.Background(), OllamaConfig{Endpoint: closedURL(t), Model: tc.model})
		if err != nil {
			t.Fatalf("%s: %v", tc.model, err)
		}
		if p.Dimensions() != tc.dims || p.MaxChars() != tc.maxChars || p.MaxBatchSize() != 10 || p.Name() != "ollama" || p.Model() != tc.model {
			t.Errorf("%s: dims %d maxChars %d batch %d, want %d %d 10", tc.model, p.Dimensions(), p.MaxChars(), p.MaxBatchSize(), tc.dims, tc.maxChars)
		}
	}
	p, err := NewOllama(context.Background(), OllamaConfig{Endpoint: closedURL(t), Model: "custom", Dimensions: 512, MaxChars: 999})
	if err != nil || p.Dimensions() != 512 || p.MaxChars() != 999 {
		t.Errorf("explicit settings: %v, dims %d, maxChars %d", err, p.Dimensions(), p.MaxChars())
	}
}

func TestOllamaProbesUnknownModel(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeOllama(w, req.inputs(t), 123)
	})
	p := newTestOllama(t, srv.URL, OllamaConfig{Model: "my-embedder"})
	if p.Dimensions() != 123 {
		t.Errorf("probed dimensions %d, want 123", p.Dimensions())
	}
	if p.MaxChars() != 512*3 {
		t.Errorf("default maxChars %d, want 1536", p.MaxChars())
	}
	if reqs := srv.requests(); len(reqs) != 1 || reqs[0].Body["model"] != "my-embedder" {
		t.Errorf("probe requests: %+v", reqs)
	}
	// Later answers of another size are rejected.
	srv2 := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeOllama(w, req.inputs(t), 124)
	})
	p.t.endpoint = srv2.URL
	if _, err := p.Embed(context.Background(), []string{"a"}); !errors.Is(err, ErrBadResponse) {
		t.Errorf("wrong dimension: err = %v, want ErrBadResponse", err)
	}
}

func TestOllamaUnreachable(t *testing.T) {
	url := closedURL(t)
	p := newTestOllama(t, url, OllamaConfig{})
	_, err := p.Embed(context.Background(), []string{"hello"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "ollama serve") || !strings.Contains(err.Error(), "--provider local") {
		t.Errorf("error lacks the hint: %v", err)
	}
	if err := p.HealthCheck(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("health check: %v, want ErrUnavailable", err)
	}
	// An unknown model cannot be probed either.
	_, err = NewOllama(context.Background(), OllamaConfig{Endpoint: url, Model: "unknown-model", HTTPConfig: fastHTTP()})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("probe: %v, want ErrUnavailable", err)
	}
}

func TestOllamaBadResponses(t *testing.T) {
	for _, tc := range []struct {
		name, body string
	}{
		{"malformed", `{"embeddings": [[0.1, 0.2`},
		{"NaN literal", `{"embeddings": [[NaN, 0.2, 0.3]]}`},
		{"overflows float32", `{"embeddings": [[1e39, 0.2, 0.3]]}`},
		{"missing field", `{"error": ""}`},
		{"too few", `{"embeddings": []}`},
		{"too many", `{"embeddings": [[1,2,3],[1,2,3]]}`},
		{"wrong dimension", `{"embeddings": [[1,2]]}`},
		{"null vector", `{"embeddings": [null]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
				w.Write([]byte(tc.body))
			})
			p := newTestOllama(t, srv.URL, OllamaConfig{Model: "m", Dimensions: 3})
			_, err := p.Embed(context.Background(), []string{"one text"})
			if !errors.Is(err, ErrBadResponse) {
				t.Errorf("err = %v, want ErrBadResponse", err)
			}
			if len(srv.requests()) != 1 {
				t.Errorf("bad responses must not be retried: %d requests", len(srv.requests()))
			}
		})
	}
}

func TestOllamaModelNotFound(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeJSON(w, 404, map[string]string{"error": `model "nomic-embed-text" not found, try pulling it first`})
	})
	p := newTestOllama(t, srv.URL, OllamaConfig{})
	_, err := p.Embed(context.Background(), []string{"x"})
	if !errors.Is(err, ErrModelNotFound) || !strings.Contains(err.Error(), "ollama pull nomic-embed-text") {
		t.Errorf("err = %v, want ErrModelNotFound with a pull hint", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || !strings.Contains(apiErr.Message, "try pulling it first") {
		t.Errorf("APIError = %+v", apiErr)
	}
}

func TestOllamaHealthCheck(t *testing.T) {
	tags := `{"models":[{"name":"all-minilm:latest","model":"all-minilm:latest"},{"name":"nomic-embed-text:latest","model":"nomic-embed-text:latest","size":274302450}]}`
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		if r.Method != "GET" || r.URL.Path != "/api/tags" {
			t.Errorf("health check sent %s %s, want GET /api/tags", r.Method, r.URL.Path)
		}
		w.Write([]byte(tags))
	})
	if err := newTestOllama(t, srv.URL, OllamaConfig{}).HealthCheck(context.Background()); err != nil {
		t.Errorf("pulled model: %v", err)
	}
	err := newTestOllama(t, srv.URL, OllamaConfig{Model: "bge-m3"}).HealthCheck(context.Background())
	if !errors.Is(err, ErrModelNotFound) || !strings.Contains(err.Error(), "ollama pull bge-m3") {
		t.Errorf("missing model: %v", err)
	}
}

func TestOllamaEmptyInput(t *testing.T) {
	p := newTestOllama(t, closedURL(t), OllamaConfig{})
	got, err := p.Embed(context.Background(), nil)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("Embed(nil) = %v, %v; want an empty result without a request", got, err)
	}
}

func TestOllamaEndpointFromEnv(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "http://localhost:11434",
		"0.0.0.0":                    "http://localhost:11434",
		"0.0.0.0:11435":              "http://localhost:11435",
		":8080":                      "http://localhost:8080",
		"ollama.lan":                 "http://ollama.lan:11434",
		"10.0.0.5:9999":              "http://10.0.0.5:9999",
		"http://gpu-box:11434":       "http://gpu-box:11434",
		"https://ollama.example.com": "https://ollama.example.com:443",
		"http://proxy:80/ollama/":    "http://proxy:80/ollama",
		"[::1]:11434":                "http://[::1]:11434",
	} {
		got, err := ollamaEndpoint(in)
		if err != nil || got != want {
			t.Errorf("ollamaEndpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ollamaEndpoint("ftp://x"); !errors.Is(err, ErrConfig) {
		t.Errorf("ftp scheme: %v", err)
	}
}

func TestOllamaHealthCheckTimeout(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		<-r.Context().Done() // a server that accepts connections but never answers
	})
	p := newTestOllama(t, srv.URL, OllamaConfig{})
	p.t.healthTimeout = 50 * time.Millisecond
	err := p.HealthCheck(context.Background())
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no answer within") {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
	// The caller's own deadline is reported as such.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	p.t.healthTimeout = time.Minute
	if err := p.HealthCheck(ctx); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnavailable) {
		t.Errorf("caller deadline: %v", err)
	}
}
