package provider

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// Voyage defaults.
const (
	DefaultVoyageEndpoint = "https://api.voyageai.com/v1"
	DefaultVoyageModel    = "voyage-3"
	voyageMaxBatch        = 128
	// voyageDefaultRequestTokens is the smallest per-request token limit of
	// Voyage's current models, assumed for models not listed below.
	voyageDefaultRequestTokens = 120_000
	voyageUnavailable          = "check the endpoint URL and the network connection"
)

// InputType tells Voyage what a text is for, so that queries and documents
// are embedded for retrieval rather than symmetrically.
type InputType string

const (
	InputUnspecified InputType = ""
	InputDocument    InputType = "document"
	InputQuery       InputType = "query"
)

// voyageDimensions lists the default output sizes of Voyage's models.
var voyageDimensions = map[string]int{
	"voyage-3-large":  1024,
	"voyage-3":        1024,
	"voyage-3-lite":   512,
	"voyage-code-3":   1024,
	"voyage-3.5":      1024,
	"voyage-3.5-lite": 1024,
}

// voyageRequestTokens lists how many tokens one request may carry.
var voyageRequestTokens = map[string]int{
	"voyage-3-large":  120_000,
	"voyage-code-3":   120_000,
	"voyage-3":        320_000,
	"voyage-3.5":      320_000,
	"voyage-3-lite":   1_000_000,
	"voyage-3.5-lite": 1_000_000,
}

// VoyageConfig configures NewVoyage.
type VoyageConfig struct {
	// Endpoint is the API base URL; empty selects DefaultVoyageEndpoint.
	Endpoint string
	// APIKey is sent as a bearer token; required for the default endpoint.
	APIKey string
	// Model is the model name; empty selects DefaultVoyageModel.
	Model string
	// Dimensions selects a shorter or longer output (output_dimension) for
	// models that offer several; 0 keeps the model's default. Required for
	// models not known here.
	Dimensions int
	// InputType is sent with every Embed request. EmbedQuery always sends
	// InputQuery.
	InputType InputType
	HTTPConfig
}

// String prints the configuration with the API key masked.
func (c VoyageConfig) String() string {
	return fmt.Sprintf("{Endpoint:%s APIKey:%s Model:%s Dimensions:%d InputType:%s}", c.Endpoint, maskKey(c.APIKey), c.Model, c.Dimensions, c.InputType)
}

// LogValue keeps the API key out of structured logs.
func (c VoyageConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// GoString masks the API key in %#v output too.
func (c VoyageConfig) GoString() string { return "provider.VoyageConfig" + c.String() }

// Voyage embeds through the Voyage AI embeddings API.
type Voyage struct {
	model     string
	dims      int
	sendDims  int
	inputType InputType
	t         *transport
	b         batcher
}

var (
	_ Provider      = (*Voyage)(nil)
	_ HealthChecker = (*Voyage)(nil)
	_ QueryEmbedder = (*Voyage)(nil)
)

// NewVoyage builds a Voyage provider. It does not contact the API.
func NewVoyage(cfg VoyageConfig) (*Voyage, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultVoyageEndpoint
	}
	if cfg.Model == "" {
		cfg.Model = DefaultVoyageModel
	}
	switch cfg.InputType {
	case InputUnspecified, InputDocument, InputQuery:
	default:
		return nil, fmt.Errorf("%w: voyage: input type %q: want %q or %q", ErrConfig, cfg.InputType, InputDocument, InputQuery)
	}
	if cfg.Dimensions < 0 {
		return nil, fmt.Errorf("%w: voyage: negative dimensions", ErrConfig)
	}
	t, err := newTransport("voyage", cfg.Endpoint, cfg.HTTPConfig, DefaultCloudTimeout)
	if err != nil {
		return nil, err
	}
	if cfg.APIKey == "" && strings.HasPrefix(t.endpoint, "https://api.voyageai.com/") {
		return nil, fmt.Errorf("%w: voyage: no API key: set VOYAGE_API_KEY or the APIKey option", ErrConfig)
	}
	if cfg.APIKey != "" {
		t.withBearer(cfg.APIKey)
	}
	t.unavailableHint = voyageUnavailable
	t.authHint = "check VOYAGE_API_KEY"

	native := voyageDimensions[cfg.Model]
	dims := cfg.Dimensions
	if dims == 0 {
		dims = native
	}
	if dims == 0 {
		return nil, fmt.Errorf("%w: voyage: unknown model %q: set its dimensions", ErrConfig, cfg.Model)
	}
	p := &Voyage{model: cfg.Model, inputType: cfg.InputType, t: t}
	if dims != native {
		p.sendDims = dims
	}
	p.dims = dims
	tokens, ok := voyageRequestTokens[cfg.Model]
	if !ok {
		tokens = voyageDefaultRequestTokens
	}
	p.b = batcher{
		provider:    "voyage",
		rejectEmpty: true,
		maxBatch:    voyageMaxBatch,
		budget:      tokens * charsPerToken,
		dimensions:  func() int { return p.dims },
	}
	return p, nil
}

func (p *Voyage) Name() string      { return "voyage" }
func (p *Voyage) Model() string     { return p.model }
func (p *Voyage) Dimensions() int   { return p.dims }
func (p *Voyage) MaxBatchSize() int { return voyageMaxBatch }

// MaxChars is 0: Voyage truncates over-long inputs itself, and its models'
// 32k-token context exceeds the usual chunk size.
func (p *Voyage) MaxChars() int { return 0 }

// InputType is the input type sent by Embed.
func (p *Voyage) InputType() InputType { return p.inputType }

// String identifies the provider; it never includes the API key.
func (p *Voyage) String() string {
	return fmt.Sprintf("voyage(%s, %d dims, %s)", p.model, p.Dimensions(), p.t.endpoint)
}

// Embed embeds texts with the configured input type.
func (p *Voyage) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return p.b.run(ctx, texts, func(ctx context.Context, batch []string) ([][]float32, error) {
		return p.send(ctx, batch, p.inputType, -1)
	})
}

// EmbedQuery embeds search queries (input_type "query").
func (p *Voyage) EmbedQuery(ctx context.Context, texts []string) ([][]float32, error) {
	return p.b.run(ctx, texts, func(ctx context.Context, batch []string) ([][]float32, error) {
		return p.send(ctx, batch, InputQuery, -1)
	})
}

type voyageRequest struct {
	Input           []string  `json:"input"`
	Model           string    `json:"model"`
	InputType       InputType `json:"input_type,omitempty"`
	OutputDimension int       `json:"output_dimension,omitempty"`
}

func (p *Voyage) send(ctx context.Context, batch []string, inputType InputType, retries int) ([][]float32, error) {
	req := voyageRequest{Input: batch, Model: p.model, InputType: inputType, OutputDimension: p.sendDims}
	var resp listResponse
	if err := p.t.call(ctx, "POST", "/embeddings", req, &resp, retries); err != nil {
		return nil, err
	}
	return ordered("voyage", resp.Data, len(batch))
}

// HealthCheck embeds one short text: Voyage has no cheaper authenticated
// endpoint.
func (p *Voyage) HealthCheck(ctx context.Context) error {
	return p.t.health(ctx, func(ctx context.Context) error {
		vecs, err := p.send(ctx, []string{"health check"}, p.inputType, 0)
		if err != nil {
			return err
		}
		return checkVectors("voyage", vecs, 1, p.Dimensions())
	})
}
