package provider

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
)

func TestOpenAIRequestShapeAndOrder(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		// Answer out of order: the API does not promise input order.
		writeList(w, req.inputs(t), 1536, []int{2, 0, 3, 1})
	})
	p := newTestOpenAI(t, srv.URL+"/v1/", OpenAIConfig{})
	in := []string{"first", "second text", "third one here", "4"}
	got, err := p.Embed(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v1/embeddings" {
		t.Errorf("%s %s, want POST /v1/embeddings", r.Method, r.Path)
	}
	if r.Header.Get("Authorization") != "Bearer "+testKey || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
	if r.Body["model"] != "text-embedding-3-small" || r.Body["encoding_format"] != "float" {
		t.Errorf("body %v", r.Body)
	}
	if _, ok := r.Body["dimensions"]; ok {
		t.Errorf("dimensions sent for the native size: %v", r.Body)
	}
	if !slices.Equal(r.inputs(t), in) {
		t.Errorf("inputs %v", r.inputs(t))
	}
	for i, v := range got {
		if !slices.Equal(v, vectorFor(in[i], 1536)) {
			t.Errorf("vector %d is not the one for %q", i, in[i])
		}
	}
	if p.Dimensions() != 1536 || p.MaxBatchSize() != 2048 || p.MaxChars() != 8191*3 || p.Name() != "openai" {
		t.Errorf("metadata: %d %d %d %s", p.Dimensions(), p.MaxBatchSize(), p.MaxChars(), p.Name())
	}
}

func TestOpenAIDimensions(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeList(w, req.inputs(t), 1024, nil)
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{Model: "text-embedding-3-large", Dimensions: 1024})
	if _, err := p.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if d, ok := srv.requests()[0].Body["dimensions"].(float64); !ok || d != 1024 {
		t.Errorf("dimensions field = %v, want 1024", srv.requests()[0].Body["dimensions"])
	}
	if p.Dimensions() != 1024 {
		t.Errorf("Dimensions() = %d", p.Dimensions())
	}
	for _, cfg := range []OpenAIConfig{
		{Model: "text-embedding-ada-002", Dimensions: 512},
		{Model: "text-embedding-3-small", Dimensions: 3072},
	} {
		cfg.APIKey, cfg.Endpoint = testKey, srv.URL
		if _, err := NewOpenAI(context.Background(), cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s with %d dims: err = %v, want ErrConfig", cfg.Model, cfg.Dimensions, err)
		}
	}
}

func TestOpenAIBadIndexes(t *testing.T) {
	for name, order := range map[string][]int{
		"duplicate":    {0, 0},
		"out of range": {0, 2},
		"negative":     {-1, 0},
		"missing":      {0},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
				in := append(req.inputs(t), "spare", "spare")
				data := []map[string]any{}
				for _, i := range order {
					data = append(data, map[string]any{"index": i, "embedding": vectorFor(in[max(i, 0)], 1536)})
				}
				writeJSON(w, 200, map[string]any{"data": data})
			})
			p := newTestOpenAI(t, srv.URL, OpenAIConfig{})
			if _, err := p.Embed(context.Background(), []string{"a", "b"}); !errors.Is(err, ErrBadResponse) {
				t.Errorf("err = %v, want ErrBadResponse", err)
			}
		})
	}
}

func TestOpenAIBatching(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeList(w, req.inputs(t), 1536, nil)
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{MaxBatchSize: 3})
	in := texts(7)
	got, err := p.Embed(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, r := range srv.requests() {
		sizes = append(sizes, len(r.inputs(t)))
	}
	if !slices.Equal(sizes, []int{3, 3, 1}) {
		t.Errorf("batch sizes %v, want [3 3 1]", sizes)
	}
	for i := range in {
		if !slices.Equal(got[i], vectorFor(in[i], 1536)) {
			t.Errorf("vector %d out of place", i)
		}
	}
}

func TestOpenAICompatibleServer(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeList(w, req.inputs(t), 384, nil)
	})
	// A local server without a key and a model unknown here: the dimension
	// is probed, no Authorization header is sent, no limit is assumed.
	p, err := NewOpenAI(context.Background(), OpenAIConfig{Endpoint: srv.URL + "/v1", Model: "bge-small-en", HTTPConfig: fastHTTP()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Dimensions() != 384 || p.MaxChars() != 0 {
		t.Errorf("dims %d maxChars %d, want 384 and 0", p.Dimensions(), p.MaxChars())
	}
	r := srv.requests()[0]
	if r.Header.Get("Authorization") != "" || r.Body["model"] != "bge-small-en" {
		t.Errorf("probe request %+v", r)
	}
}

func TestOpenAIHealthCheck(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		if r.Method != "GET" || r.URL.Path != "/models" || r.Header.Get("Authorization") != "Bearer "+testKey {
			t.Errorf("health check %s %s auth %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		if n == 0 {
			writeJSON(w, 200, map[string]any{"object": "list", "data": []any{}})
			return
		}
		writeJSON(w, 401, map[string]any{"error": map[string]string{"message": "bad key"}})
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{})
	if err := p.HealthCheck(context.Background()); err != nil {
		t.Errorf("healthy: %v", err)
	}
	if err := p.HealthCheck(context.Background()); !errors.Is(err, ErrAuth) {
		t.Errorf("bad key: %v, want ErrAuth", err)
	}
}

func TestOpenAIModelNotFound(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeJSON(w, 404, map[string]any{"error": map[string]any{
			"message": "The model `text-embedding-4` does not exist or you do not have access to it.",
			"type":    "invalid_request_error", "param": nil, "code": "model_not_found",
		}})
	})
	p := newTestOpenAI(t, srv.URL, OpenAIConfig{Model: "text-embedding-4", Dimensions: 1536})
	_, err := p.Embed(context.Background(), []string{"x"})
	var apiErr *APIError
	if !errors.Is(err, ErrModelNotFound) || !errors.As(err, &apiErr) || apiErr.Code != "model_not_found" {
		t.Errorf("err = %v, want ErrModelNotFound", err)
	}
	if len(srv.requests()) != 1 {
		t.Errorf("a 404 was retried")
	}
}
