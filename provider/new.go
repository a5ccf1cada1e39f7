package provider

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Config selects and configures a provider for New. Fields that do not apply
// to the chosen provider are ignored.
type Config struct {
	// Endpoint overrides the provider's base URL.
	Endpoint string
	// APIKey overrides OPENAI_API_KEY or VOYAGE_API_KEY.
	APIKey string
	// Model overrides the provider's default model.
	Model string
	// Dimensions sets the vector length: required for unknown Voyage
	// models, a reduction for OpenAI text-embedding-3 models, the hashing
	// width of the local embedder.
	Dimensions int
	// MaxChars overrides the per-text limit (Ollama, OpenAI).
	MaxChars int
	// InputType is Voyage's input_type.
	InputType InputType
	HTTPConfig
}

// String prints the configuration with the API key masked.
func (c Config) String() string {
	return fmt.Sprintf("{Endpoint:%s APIKey:%s Model:%s Dimensions:%d MaxChars:%d InputType:%s}",
		c.Endpoint, maskKey(c.APIKey), c.Model, c.Dimensions, c.MaxChars, c.InputType)
}

// GoString masks the API key in %#v output too.
func (c Config) GoString() string { return "provider.Config" + c.String() }

// names lists the providers New accepts, in the order help texts show them.
var names = []string{"ollama", "openai", "voyage", "local"}

// Names returns the provider names New accepts.
func Names() []string { return append([]string(nil), names...) }

// New builds the provider called name ("ollama", "openai", "voyage" or
// "local") for command-line use. Unset settings come from the environment:
// OLLAMA_HOST for Ollama's endpoint, OPENAI_API_KEY and OPENAI_BASE_URL for
// OpenAI, VOYAGE_API_KEY for Voyage. ctx bounds the dimension probe of an
// unknown Ollama or OpenAI-compatible model, the only I/O New may do.
func New(ctx context.Context, name string, cfg Config) (Provider, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "ollama":
		endpoint := cfg.Endpoint
		if endpoint == "" {
			var err error
			if endpoint, err = ollamaEndpoint(os.Getenv("OLLAMA_HOST")); err != nil {
				return nil, err
			}
		}
		return NewOllama(ctx, OllamaConfig{
			Endpoint: endpoint, Model: cfg.Model, Dimensions: cfg.Dimensions,
			MaxChars: cfg.MaxChars, HTTPConfig: cfg.HTTPConfig,
		})
	case "openai":
		return NewOpenAI(ctx, OpenAIConfig{
			Endpoint: firstNonEmpty(cfg.Endpoint, os.Getenv("OPENAI_BASE_URL")),
			APIKey:   firstNonEmpty(cfg.APIKey, os.Getenv("OPENAI_API_KEY")),
			Model:    cfg.Model, Dimensions: cfg.Dimensions, MaxChars: cfg.MaxChars,
			HTTPConfig: cfg.HTTPConfig,
		})
	case "voyage":
		return NewVoyage(VoyageConfig{
			Endpoint: cfg.Endpoint,
			APIKey:   firstNonEmpty(cfg.APIKey, os.Getenv("VOYAGE_API_KEY")),
			Model:    cfg.Model, Dimensions: cfg.Dimensions, InputType: cfg.InputType,
			HTTPConfig: cfg.HTTPConfig,
		})
	case "local":
		if cfg.Model != "" && cfg.Model != LocalModel {
			return nil, fmt.Errorf("%w: local: model %q: the built-in embedder is %q", ErrConfig, cfg.Model, LocalModel)
		}
		return NewLocal(LocalConfig{Dimensions: cfg.Dimensions})
	case "transformers":
		return nil, fmt.Errorf("%w: the transformers provider of TypeScript Resona is not available in Go: use local (offline, built in) or ollama", ErrConfig)
	default:
		return nil, fmt.Errorf("%w: unknown provider %q: want one of %s", ErrConfig, name, strings.Join(names, ", "))
	}
}

// KnownDimensions returns the default vector length of a model of the named
// provider, if this package knows it. Ollama models with a ":latest" tag
// are found by their bare name.
func KnownDimensions(providerName, model string) (int, bool) {
	switch providerName {
	case "ollama":
		return lookupModel(ollamaDimensions, model)
	case "openai":
		d, ok := openAIDimensions[model]
		return d, ok
	case "voyage":
		d, ok := voyageDimensions[model]
		return d, ok
	case "local":
		if model == LocalModel {
			return DefaultLocalDimensions, true
		}
	}
	return 0, false
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// LogValue keeps the API key out of structured logs.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
