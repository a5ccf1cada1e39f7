package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Ollama defaults.
const (
	DefaultOllamaEndpoint = "http://localhost:11434"
	DefaultOllamaModel    = "nomic-embed-text"
	ollamaMaxBatch        = 10
	// ollamaDefaultContext is assumed for models missing from
	// ollamaContextTokens: small embedding models commonly take 512 tokens.
	ollamaDefaultContext = 512
	ollamaUnavailable    = "is Ollama running? start it with `ollama serve`, or use --provider local"
)

// ollamaDimensions lists the output sizes of common Ollama embedding models.
// Other models are probed with a short embedding when the provider is built.
var ollamaDimensions = map[string]int{
	"nomic-embed-text":       768,
	"mxbai-embed-large":      1024,
	"all-minilm":             384,
	"bge-m3":                 1024,
	"snowflake-arctic-embed": 1024,
}

// ollamaContextTokens lists the context windows, in tokens, of the models in
// ollamaDimensions. MaxChars is the context times three characters.
var ollamaContextTokens = map[string]int{
	"nomic-embed-text":       8192,
	"mxbai-embed-large":      512,
	"all-minilm":             512,
	"bge-m3":                 8192,
	"snowflake-arctic-embed": 512,
}

// OllamaConfig configures NewOllama.
type OllamaConfig struct {
	// Endpoint is the Ollama server URL; empty selects
	// DefaultOllamaEndpoint. (New also reads OLLAMA_HOST.)
	Endpoint string
	// Model is the Ollama model name; empty selects DefaultOllamaModel.
	Model string
	// Dimensions overrides the known or probed vector length.
	Dimensions int
	// MaxChars overrides the limit derived from the model's context window.
	MaxChars int
	HTTPConfig
}

// Ollama embeds through a local Ollama server's /api/embed endpoint, which
// takes a whole batch in one request.
type Ollama struct {
	model    string
	dims     int
	maxChars int
	t        *transport
	b        batcher
}

var (
	_ Provider      = (*Ollama)(nil)
	_ HealthChecker = (*Ollama)(nil)
)

// NewOllama builds an Ollama provider. For a model whose dimension is neither
// configured nor known (see KnownDimensions) it embeds a short probe text,
// so it needs a running server only in that case.
func NewOllama(ctx context.Context, cfg OllamaConfig) (*Ollama, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultOllamaEndpoint
	}
	if cfg.Model == "" {
		cfg.Model = DefaultOllamaModel
	}
	if cfg.Dimensions < 0 || cfg.MaxChars < 0 {
		return nil, fmt.Errorf("%w: ollama: negative dimensions or max chars", ErrConfig)
	}
	t, err := newTransport("ollama", cfg.Endpoint, cfg.HTTPConfig, DefaultOllamaTimeout)
	if err != nil {
		return nil, err
	}
	t.unavailableHint = ollamaUnavailable
	p := &Ollama{model: cfg.Model, t: t}
	p.maxChars = cfg.MaxChars
	if p.maxChars == 0 {
		tokens, ok := lookupModel(ollamaContextTokens, cfg.Model)
		if !ok {
			tokens = ollamaDefaultContext
		}
		p.maxChars = tokens * charsPerToken
	}
	p.b = batcher{
		provider:   "ollama",
		maxBatch:   ollamaMaxBatch,
		maxChars:   p.maxChars,
		dimensions: func() int { return p.dims },
	}
	dims := cfg.Dimensions
	if dims == 0 {
		dims, _ = lookupModel(ollamaDimensions, cfg.Model)
	}
	if dims == 0 {
		vecs, err := p.Embed(ctx, []string{"dimension probe"})
		if err != nil {
			return nil, fmt.Errorf("ollama: probing the dimension of %q: %w", cfg.Model, err)
		}
		dims = len(vecs[0])
	}
	p.dims = dims
	return p, nil
}

// lookupModel finds a model in a table by its exact name or, for a
// ":latest" tag, by its bare name. Other tags can change the size of the
// model (snowflake-arctic-embed:22m is 384-dimensional) and are not mapped.
func lookupModel(table map[string]int, model string) (int, bool) {
	if v, ok := table[model]; ok {
		return v, true
	}
	v, ok := table[strings.TrimSuffix(model, ":latest")]
	return v, ok
}

func (p *Ollama) Name() string      { return "ollama" }
func (p *Ollama) Model() string     { return p.model }
func (p *Ollama) Dimensions() int   { return p.dims }
func (p *Ollama) MaxBatchSize() int { return ollamaMaxBatch }
func (p *Ollama) MaxChars() int     { return p.maxChars }

// String identifies the provider without revealing configuration details.
func (p *Ollama) String() string {
	return fmt.Sprintf("ollama(%s, %d dims, %s)", p.model, p.Dimensions(), p.t.endpoint)
}

// Embed embeds texts, truncating each to MaxChars code points.
func (p *Ollama) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return p.b.run(ctx, texts, p.send)
}

func (p *Ollama) send(ctx context.Context, batch []string) ([][]float32, error) {
	req := struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}{p.model, batch}
	var resp struct {
		Embeddings [][]float32 `json:"embeddings"`
	}
	if err := p.t.call(ctx, "POST", "/api/embed", req, &resp, -1); err != nil {
		return nil, p.explain(err)
	}
	return resp.Embeddings, nil
}

// explain turns Ollama's 404 for a missing model into ErrModelNotFound.
func (p *Ollama) explain(err error) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == 404 {
		apiErr.kind = ErrModelNotFound
		apiErr.Hint = fmt.Sprintf("pull it with `ollama pull %s`", p.model)
	}
	return err
}

// HealthCheck checks that the server answers on /api/tags and that the
// model has been pulled.
func (p *Ollama) HealthCheck(ctx context.Context) error {
	return p.t.health(ctx, p.checkTags)
}

func (p *Ollama) checkTags(ctx context.Context) error {
	var tags struct {
		Models []struct {
			Name  string `json:"name"`
			Model string `json:"model"`
		} `json:"models"`
	}
	if err := p.t.call(ctx, "GET", "/api/tags", nil, &tags, 0); err != nil {
		return err
	}
	for _, m := range tags.Models {
		for _, name := range []string{m.Name, m.Model} {
			if name == p.model || name == p.model+":latest" {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: ollama: model %q is not installed: pull it with `ollama pull %s`", ErrModelNotFound, p.model, p.model)
}

// ollamaEndpoint turns an OLLAMA_HOST value ("host", "host:port",
// ":port", "0.0.0.0", or a URL) into a base URL, as the ollama CLI does.
func ollamaEndpoint(host string) (string, error) {
	host = strings.TrimSpace(host)
	if host == "" {
		return DefaultOllamaEndpoint, nil
	}
	scheme := "http"
	if i := strings.Index(host, "://"); i >= 0 {
		scheme, host = host[:i], host[i+3:]
	}
	rest := ""
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host, rest = host[:i], strings.TrimRight(host[i:], "/")
	}
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		h, port = strings.Trim(host, "[]"), "11434"
		if scheme == "https" {
			port = "443"
		}
	}
	if h == "" || h == "0.0.0.0" || h == "::" {
		// A bind-all server address; clients reach it on loopback.
		h = "localhost"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(h, port), Path: rest}
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("%w: ollama: OLLAMA_HOST %q: unsupported scheme", ErrConfig, u.String())
	}
	return u.String(), nil
}
