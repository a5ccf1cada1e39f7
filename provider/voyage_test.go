package provider

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func newTestVoyage(t *testing.T, endpoint string, cfg VoyageConfig) *Voyage {
	t.Helper()
	cfg.Endpoint = endpoint
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	if cfg.HTTPConfig == (HTTPConfig{}) {
		cfg.HTTPConfig = fastHTTP()
	}
	p, err := NewVoyage(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVoyageRequestShape(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeList(w, req.inputs(t), 1024, []int{1, 0})
	})
	p := newTestVoyage(t, srv.URL+"/v1", VoyageConfig{InputType: InputDocument})
	in := []string{"a document", "another document"}
	got, err := p.Embed(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.EmbedQuery(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	for i, wantType := range []string{"document", "query"} {
		r := reqs[i]
		if r.Method != "POST" || r.Path != "/v1/embeddings" || r.Header.Get("Authorization") != "Bearer "+testKey {
			t.Errorf("%s %s auth %q", r.Method, r.Path, r.Header.Get("Authorization"))
		}
		if r.Body["model"] != "voyage-3" || r.Body["input_type"] != wantType || !slices.Equal(r.inputs(t), in) {
			t.Errorf("body %v, want input_type %s", r.Body, wantType)
		}
		if _, ok := r.Body["output_dimension"]; ok {
			t.Errorf("output_dimension sent for the default size")
		}
	}
	if !slices.Equal(got[0], vectorFor(in[0], 1024)) || !slices.Equal(got[1], vectorFor(in[1], 1024)) {
		t.Errorf("vectors not ordered by index")
	}
	if p.MaxBatchSize() != 128 || p.Dimensions() != 1024 || p.Name() != "voyage" || p.InputType() != InputDocument {
		t.Errorf("metadata %d %d %s %s", p.MaxBatchSize(), p.Dimensions(), p.Name(), p.InputType())
	}
}

func TestVoyageNoInputTypeAndOutputDimension(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeList(w, req.inputs(t), 512, nil)
	})
	p := newTestVoyage(t, srv.URL, VoyageConfig{Model: "voyage-3-large", Dimensions: 512})
	if _, err := p.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatal(err)
	}
	body := srv.requests()[0].Body
	if _, ok := body["input_type"]; ok {
		t.Errorf("input_type sent though unspecified: %v", body)
	}
	if body["output_dimension"] != float64(512) {
		t.Errorf("output_dimension = %v, want 512", body["output_dimension"])
	}
}

func TestVoyageConfig(t *testing.T) {
	for name, cfg := range map[string]VoyageConfig{
		"input type":    {APIKey: testKey, InputType: "passage"},
		"unknown model": {APIKey: testKey, Model: "voyage-99"},
	} {
		if _, err := NewVoyage(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
	p, err := NewVoyage(VoyageConfig{APIKey: testKey, Model: "voyage-99", Dimensions: 2048})
	if err != nil || p.Dimensions() != 2048 {
		t.Errorf("unknown model with dimensions: %v", err)
	}
	if p, _ := NewVoyage(VoyageConfig{APIKey: testKey, Model: "voyage-3-lite"}); p.Dimensions() != 512 {
		t.Errorf("voyage-3-lite dims %d", p.Dimensions())
	}
}

func TestVoyageErrorsAndHealth(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		if n == 0 {
			writeList(w, req.inputs(t), 1024, nil)
			return
		}
		writeJSON(w, 400, map[string]string{"detail": "The max allowed tokens per submitted batch is 320000."})
	})
	p := newTestVoyage(t, srv.URL, VoyageConfig{})
	if err := p.HealthCheck(context.Background()); err != nil {
		t.Errorf("health: %v", err)
	}
	if got := srv.requests()[0].inputs(t); len(got) != 1 {
		t.Errorf("health check embeds %v", got)
	}
	_, err := p.Embed(context.Background(), []string{"a long text"})
	if !errors.Is(err, ErrRequest) || !strings.Contains(err.Error(), "max allowed tokens") {
		t.Errorf("err = %v, want ErrRequest with the server's detail", err)
	}
	if len(srv.requests()) != 2 {
		t.Errorf("a 400 was retried")
	}
	// An empty text would fail the whole batch; it is refused up front.
	_, err = p.Embed(context.Background(), []string{"fine", " \n"})
	if !errors.Is(err, ErrRequest) || !strings.Contains(err.Error(), "text 1 is empty") {
		t.Errorf("empty text: %v", err)
	}
	if len(srv.requests()) != 2 {
		t.Errorf("empty text was sent")
	}
}

func TestVoyageRequestBudget(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		writeList(w, req.inputs(t), 1024, nil)
	})
	// voyage-3-large takes 120k tokens per request: about 360k characters.
	p := newTestVoyage(t, srv.URL, VoyageConfig{Model: "voyage-3-large"})
	long := strings.Repeat("word ", 20_000) // 100k characters
	if _, err := p.Embed(context.Background(), []string{long, long, long, long, "short"}); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, r := range srv.requests() {
		sizes = append(sizes, len(r.inputs(t)))
	}
	if !slices.Equal(sizes, []int{3, 2}) {
		t.Errorf("batch sizes %v, want [3 2]", sizes)
	}
}
