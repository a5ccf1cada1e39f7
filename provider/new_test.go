package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestNewReadsEnvironment(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request, req request, n int) {
		switch r.URL.Path {
		case "/api/embed":
			writeOllama(w, req.inputs(t), 768)
		default:
			writeList(w, req.inputs(t), 1024, nil)
		}
	})
	t.Setenv("OLLAMA_HOST", srv.URL)
	t.Setenv("OPENAI_BASE_URL", srv.URL+"/v1")
	t.Setenv("OPENAI_API_KEY", "sk-env-openai")
	t.Setenv("VOYAGE_API_KEY", "pa-env-voyage")
	ctx := context.Background()
	for _, tc := range []struct {
		name, model, wantAuth string
		cfg                   Config
	}{
		{"ollama", "nomic-embed-text", "", Config{}},
		{"openai", "text-embedding-3-small", "Bearer sk-env-openai", Config{Dimensions: 1024}},
		{"OpenAI", "text-embedding-3-small", "Bearer sk-config", Config{APIKey: "sk-config", Dimensions: 1024}},
		{"voyage", "voyage-3", "Bearer pa-env-voyage", Config{Endpoint: srv.URL + "/v1"}},
	} {
		tc.cfg.HTTPConfig = fastHTTP()
		p, err := New(ctx, tc.name, tc.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Model() != tc.model || !strings.EqualFold(p.Name(), tc.name) {
			t.Errorf("%s: %s %s", tc.name, p.Name(), p.Model())
		}
		before := len(srv.requests())
		if _, err := p.Embed(ctx, []string{"hello"}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		r := srv.requests()[before]
		if got := r.Header.Get("Authorization"); got != tc.wantAuth {
			t.Errorf("%s: Authorization %q, want %q", tc.name, got, tc.wantAuth)
		}
	}
}

func TestNewErrors(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("VOYAGE_API_KEY", "")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  Config
		hint string
	}{
		{"cohere", Config{}, "ollama, openai, voyage, local"},
		{"transformers", Config{}, "use local"},
		{"openai", Config{}, "OPENAI_API_KEY"},
		{"voyage", Config{}, "VOYAGE_API_KEY"},
		{"local", Config{Model: "all-minilm"}, LocalModel},
		{"local", Config{Dimensions: 3}, "out of range"},
	} {
		_, err := New(ctx, tc.name, tc.cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("New(%q, %v) = %v, want ErrConfig mentioning %q", tc.name, tc.cfg, err, tc.hint)
		}
	}
	p, err := New(ctx, " local ", Config{})
	if err != nil || p.Name() != "local" || p.Dimensions() != DefaultLocalDimensions {
		t.Errorf("New(local) = %v, %v", p, err)
	}
	if got := Names(); strings.Join(got, ",") != "ollama,openai,voyage,local" {
		t.Errorf("Names() = %v", got)
	}
}

func TestKnownDimensions(t *testing.T) {
	for _, tc := range []struct {
		provider, model string
		dims            int
		ok              bool
	}{
		{"ollama", "nomic-embed-text", 768, true},
		{"ollama", "bge-m3:latest", 1024, true},
		{"ollama", "snowflake-arctic-embed:22m", 0, false},
		{"openai", "text-embedding-3-large", 3072, true},
		{"voyage", "voyage-3-lite", 512, true},
		{"local", LocalModel, 512, true},
		{"local", "other", 0, false},
		{"nope", "x", 0, false},
	} {
		if d, ok := KnownDimensions(tc.provider, tc.model); d != tc.dims || ok != tc.ok {
			t.Errorf("KnownDimensions(%s, %s) = %d, %v", tc.provider, tc.model, d, ok)
		}
	}
}

// The API key must not show up however a configuration or a provider is
// printed or logged.
func TestKeyNeverPrinted(t *testing.T) {
	const key = "sk-live-VERYSECRETKEY-0000"
	ctx := context.Background()
	endpoint := closedURL(t)
	oa, err := NewOpenAI(ctx, OpenAIConfig{Endpoint: endpoint, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	vo, err := NewVoyage(VoyageConfig{Endpoint: endpoint, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	values := []any{
		Config{APIKey: key}, &Config{APIKey: key},
		OpenAIConfig{APIKey: key}, VoyageConfig{APIKey: key},
		oa, *oa, vo, *vo,
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	for _, v := range values {
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			if s := fmt.Sprintf(format, v); strings.Contains(s, "VERYSECRET") {
				t.Errorf("%s of %T reveals the key: %s", format, v, s)
			}
		}
		log.Info("config", "value", v)
	}
	if strings.Contains(logs.String(), "VERYSECRET") {
		t.Errorf("slog output reveals the key: %s", logs.String())
	}
	_, err = oa.Embed(ctx, []string{"x"})
	if err == nil || strings.Contains(err.Error(), "VERYSECRET") {
		t.Errorf("error %v", err)
	}
}
