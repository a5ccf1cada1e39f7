package provider

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// request is what a fake server saw.
type request struct {
	Method, Path string
	Header       http.Header
	Body         map[string]any
}

// inputs returns the "input" field of a JSON request body as strings.
func (r request) inputs(t testing.TB) []string {
	t.Helper()
	raw, ok := r.Body["input"].([]any)
	if !ok {
		t.Fatalf("request body input = %#v, want a JSON array", r.Body["input"])
	}
	out := make([]string, len(raw))
	for i, v := range raw {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("input[%d] = %#v, want a string", i, v)
		}
		out[i] = s
	}
	return out
}

// fakeServer is a loopback HTTP server that records every request and
// answers with handler. n is the 0-based number of the request.
type fakeServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newFake(t testing.TB, handler func(w http.ResponseWriter, r *http.Request, req request, n int)) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		req := request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
		if len(data) > 0 {
			if err := json.Unmarshal(data, &req.Body); err != nil {
				t.Errorf("request body is not JSON: %v: %q", err, data)
			}
		}
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, req)
		f.mu.Unlock()
		handler(w, r, req, n)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// fastHTTP retries quickly so that tests of the retry logic stay fast.
func fastHTTP() HTTPConfig {
	return HTTPConfig{MaxRetries: 2, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 4 * time.Millisecond}
}

// vectorFor returns a deterministic vector for a text, so tests can check
// that each result lands at the position of its input.
func vectorFor(text string, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		v[i] = float32(len(text)%97) + float32(i)/1000
	}
	if len(text) > 0 {
		v[0] = float32(text[0])
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeList answers in the OpenAI/Voyage shape, listing the vectors in the
// given order of indexes (nil: input order).
func writeList(w http.ResponseWriter, texts []string, dims int, order []int) {
	if order == nil {
		for i := range texts {
			order = append(order, i)
		}
	}
	data := make([]map[string]any, 0, len(order))
	for _, i := range order {
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": vectorFor(texts[i], dims)})
	}
	writeJSON(w, 200, map[string]any{
		"object": "list", "data": data, "model": "test-model",
		"usage": map[string]any{"prompt_tokens": 3, "total_tokens": 3},
	})
}

func writeOllama(w http.ResponseWriter, texts []string, dims int) {
	vecs := make([][]float32, len(texts))
	for i, t := range texts {
		vecs[i] = vectorFor(t, dims)
	}
	writeJSON(w, 200, map[string]any{"model": "nomic-embed-text", "embeddings": vecs})
}

// closedURL returns the URL of a loopback port nothing listens on.
func closedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("text number %d %s", i, strings.Repeat("x", i))
	}
	return out
}
