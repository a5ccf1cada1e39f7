package provider

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// OpenAI defaults.
const (
	DefaultOpenAIEndpoint = "https://api.openai.com/v1"
	DefaultOpenAIModel    = "text-embedding-3-small"
	openAIMaxBatch        = 2048
	// openAIContextTokens is the per-input limit of OpenAI's embedding models.
	openAIContextTokens = 8191
	// openAIRequestTokens is OpenAI's limit on the tokens of one request.
	openAIRequestTokens = 300_000
	openAIUnavailable   = "check the endpoint URL and the network connection"
)

// openAIDimensions lists the native output sizes of OpenAI's models.
var openAIDimensions = map[string]int{
	"text-embedding-3-small": 1536,
	"text-embedding-3-large": 3072,
	"text-embedding-ada-002": 1536,
}

// OpenAIConfig configures NewOpenAI. It also serves OpenAI-compatible
// servers (Azure OpenAI, LM Studio, vLLM, llama.cpp, proxies): set Endpoint
// to their base URL, the one that /embeddings is appended to.
type OpenAIConfig struct {
	// Endpoint is the API base URL; empty selects DefaultOpenAIEndpoint.
	Endpoint string
	// APIKey is sent as a bearer token. It is required for the default
	// endpoint; compatible servers may not need one.
	APIKey string
	// Model is the model name; empty selects DefaultOpenAIModel.
	Model string
	// Dimensions asks text-embedding-3 models (and compatible servers) for
	// shortened vectors; 0 keeps the model's native size. For a model not
	// known here, a zero value is resolved by embedding a probe text.
	Dimensions int
	// MaxChars overrides the per-text limit (8191 tokens × 3 characters for
	// OpenAI's models, none for other models).
	MaxChars int
	// MaxBatchSize overrides the number of texts per request (2048).
	MaxBatchSize int
	HTTPConfig
}

// String prints the configuration with the API key masked.
func (c OpenAIConfig) String() string {
	return fmt.Sprintf("{Endpoint:%s APIKey:%s Model:%s Dimensions:%d}", c.Endpoint, maskKey(c.APIKey), c.Model, c.Dimensions)
}

// LogValue keeps the API key out of structured logs.
func (c OpenAIConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// GoString masks the API key in %#v output too.
func (c OpenAIConfig) GoString() string { return "provider.OpenAIConfig" + c.String() }

// OpenAI embeds through the OpenAI embeddings API or a compatible server.
type OpenAI struct {
	model    string
	dims     int
	sendDims int // the "dimensions" request field; 0 = omitted
	maxChars int
	maxBatch int
	t        *transport
	b        batcher
}

var (
	_ Provider      = (*OpenAI)(nil)
	_ HealthChecker = (*OpenAI)(nil)
)

// NewOpenAI builds an OpenAI provider. It contacts the endpoint only to
// probe the dimension of an unknown model when Dimensions is 0.
func NewOpenAI(ctx context.Context, cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultOpenAIEndpoint
	}
	if cfg.Model == "" {
		cfg.Model = DefaultOpenAIModel
	}
	if cfg.Dimensions < 0 || cfg.MaxChars < 0 || cfg.MaxBatchSize < 0 {
		return nil, fmt.Errorf("%w: openai: negative dimensions, max chars or batch size", ErrConfig)
	}
	t, err := newTransport("openai", cfg.Endpoint, cfg.HTTPConfig, DefaultCloudTimeout)
	if err != nil {
		return nil, err
	}
	official := strings.HasPrefix(t.endpoint, "https://api.openai.com/")
	if cfg.APIKey == "" && official {
		return nil, fmt.Errorf("%w: openai: no API key: set OPENAI_API_KEY or the APIKey option", ErrConfig)
	}
	if cfg.APIKey != "" {
		t.withBearer(cfg.APIKey)
	}
	t.unavailableHint = openAIUnavailable
	t.authHint = "check OPENAI_API_KEY"

	native, known := openAIDimensions[cfg.Model]
	p := &OpenAI{model: cfg.Model, t: t}
	switch {
	case known && cfg.Dimensions > native:
		return nil, fmt.Errorf("%w: openai: %s has %d dimensions; cannot ask for %d", ErrConfig, cfg.Model, native, cfg.Dimensions)
	case known && cfg.Model == "text-embedding-ada-002" && cfg.Dimensions != 0 && cfg.Dimensions != native:
		return nil, fmt.Errorf("%w: openai: text-embedding-ada-002 does not support shortened vectors", ErrConfig)
	case cfg.Dimensions != 0 && cfg.Dimensions != native:
		p.sendDims = cfg.Dimensions
	}
	p.maxChars = cfg.MaxChars
	if p.maxChars == 0 && known {
		p.maxChars = openAIContextTokens * charsPerToken
	}
	p.maxBatch = cfg.MaxBatchSize
	if p.maxBatch == 0 {
		p.maxBatch = openAIMaxBatch
	}
	p.b = batcher{
		provider:    "openai",
		rejectEmpty: true,
		maxBatch:    p.maxBatch,
		maxChars:    p.maxChars,
		dimensions:  func() int { return p.dims },
	}
	if official {
		p.b.budget = openAIRequestTokens * charsPerToken
	}
	dims := cfg.Dimensions
	if dims == 0 {
		dims = native
	}
	if dims == 0 {
		vecs, err := p.Embed(ctx, []string{"dimension probe"})
		if err != nil {
			return nil, fmt.Errorf("openai: probing the dimension of %q: %w", cfg.Model, err)
		}
		dims = len(vecs[0])
	}
	p.dims = dims
	return p, nil
}

func (p *OpenAI) Name() string      { return "openai" }
func (p *OpenAI) Model() string     { return p.model }
func (p *OpenAI) Dimensions() int   { return p.dims }
func (p *OpenAI) MaxBatchSize() int { return p.maxBatch }
func (p *OpenAI) MaxChars() int     { return p.maxChars }

// String identifies the provider; it never includes the API key.
func (p *OpenAI) String() string {
	return fmt.Sprintf("openai(%s, %d dims, %s)", p.model, p.Dimensions(), p.t.endpoint)
}

// Embed embeds texts in requests of at most MaxBatchSize texts.
func (p *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return p.b.run(ctx, texts, p.send)
}

type openAIRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     int      `json:"dimensions,omitempty"`
	EncodingFormat string   `json:"encoding_format"`
}

func (p *OpenAI) send(ctx context.Context, batch []string) ([][]float32, error) {
	req := openAIRequest{Model: p.model, Input: batch, Dimensions: p.sendDims, EncodingFormat: "float"}
	var resp listResponse
	if err := p.t.call(ctx, "POST", "/embeddings", req, &resp, -1); err != nil {
		return nil, err
	}
	return ordered("openai", resp.Data, len(batch))
}

// HealthCheck lists the models (GET /models), which checks the endpoint and
// the key without spending tokens.
func (p *OpenAI) HealthCheck(ctx context.Context) error {
	return p.t.health(ctx, func(ctx context.Context) error {
		return p.t.call(ctx, "GET", "/models", nil, nil, 0)
	})
}

// maskKey shows only whether a key is set.
func maskKey(key string) string {
	if key == "" {
		return `""`
	}
	return "[redacted]"
}
