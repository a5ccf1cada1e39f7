package cli

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeOllama answers /api/tags and /api/embed like an Ollama server with
// one pulled model, embedding each text as a deterministic 8-dimensional
// vector of its word hashes.
func fakeOllama(t *testing.T, model string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/tags":
			_ = json.NewEncoder(w).Encode(map[string]any{"models": []map[string]string{{"name": model + ":latest"}}})
		case "/api/embed":
			requests.Add(1)
			var req struct {
				Model string   `json:"model"`
				Input []string `json:"input"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != model {
				http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
				return
			}
			out := make([][]float32, len(req.Input))
			for i, text := range req.Input {
				v := make([]float32, 8)
				for _, word := range strings.Fields(strings.ToLower(text)) {
					h := fnv.New32a()
					h.Write([]byte(word))
					v[h.Sum32()%8]++
				}
				out[i] = v
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"model": model, "embeddings": out})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

func TestGenerateWithOllama(t *testing.T) {
	srv, requests := fakeOllama(t, "tiny-embed")
	e := newEnv(t)
	args := []string{"--provider", "ollama", "--model", "tiny-embed", "--dimensions", "8", "--endpoint", srv.URL}
	r := e.dbRun(jsonl(t), append([]string{"embed", "generate", "-"}, args...)...).mustOK(t)
	// Ollama takes 10 texts per request: plain progress lines, not a bar.
	if requests.Load() < 2 {
		t.Errorf("%d embed requests", requests.Load())
	}
	if !strings.Contains(r.stderr, "embedding: ") || !strings.Contains(r.stderr, "items/s") || strings.Contains(r.stderr, "█") {
		t.Errorf("progress on a non-terminal:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "with ollama (tiny-embed, 8 dimensions)") {
		t.Errorf("header:\n%s", r.stderr)
	}
	r = e.dbRun("", append([]string{"embed", "search", "--json", "-k", "2", "Package flag parses command-line flags"}, args...)...).mustOK(t)
	if !strings.Contains(r.stdout, `"id": "flag"`) {
		t.Errorf("search through ollama:\n%s", r.stdout)
	}
	// The model must be pulled.
	e.dbRun(jsonl(t), "embed", "generate", "-", "--provider", "ollama", "--model", "other", "--dimensions", "8", "--endpoint", srv.URL).
		oneErrorLine(t, ExitError, "ollama pull other")
	// stats works on the 8-dimensional table without naming the provider.
	if st := e.statsJSON(); st.Dimensions != 8 || len(st.Models) != 1 || st.Models[0] != "tiny-embed" {
		t.Errorf("stats: %+v", st)
	}
}
