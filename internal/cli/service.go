package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona"
	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/provider"
)

const defaultProvider = "local"

func providerNames() []string { return provider.Names() }

// providerName is --provider, RESONA_PROVIDER, the config file, or local:
// the built-in embedder works without any setup.
func (a *app) providerName() string {
	return strings.ToLower(firstSet(a.providerFlag, a.env("RESONA_PROVIDER"), a.cfg.Provider, defaultProvider))
}

// newProvider builds the configured embedding provider.
func (a *app) newProvider(ctx context.Context) (provider.Provider, error) {
	name := a.providerName()
	cfg := provider.Config{
		Endpoint:   firstSet(a.endpointFlag, a.env("RESONA_ENDPOINT"), a.cfg.Endpoint),
		Model:      firstSet(a.modelFlag, a.env("RESONA_MODEL"), a.cfg.Model),
		Dimensions: a.dimensionsFlag,
	}
	if cfg.Dimensions == 0 {
		cfg.Dimensions = a.cfg.Dimensions
	}
	switch name {
	case "openai":
		cfg.APIKey = a.env("OPENAI_API_KEY")
	case "voyage":
		cfg.APIKey = a.env("VOYAGE_API_KEY")
	}
	cfg.Logger = a.logger
	a.logger.Debug("provider", "name", name, "config", cfg)
	p, err := provider.New(ctx, name, cfg)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// checkProvider asks the provider whether it is ready, when it can tell,
// so that an unreachable server fails before any work starts.
func checkProvider(ctx context.Context, p provider.Provider) error {
	if hc, ok := p.(provider.HealthChecker); ok {
		return hc.HealthCheck(ctx)
	}
	return nil
}

// tablePath is the embeddings table inside the database directory.
func (a *app) tablePath() (string, error) {
	db, err := a.dbPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(resona.DatabaseDir(db), resona.TableName+".lance"), nil
}

// errNoTable says what to do about a missing table.
func errNoTable(path string) error {
	return fmt.Errorf("no embeddings table at %s: run `resona embed generate` first, or pass --db (or set RESONA_DB) to an existing table", path)
}

// openTable opens the latest version of the embeddings table, failing
// with a helpful message when there is none.
func (a *app) openTable(ctx context.Context, opts ...lance.OpenOption) (*lance.Dataset, error) {
	path, err := a.tablePath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, errNoTable(path)
	}
	ds, err := lance.Open(ctx, path, opts...)
	if errors.Is(err, lance.ErrNotFound) {
		if len(opts) > 0 {
			return nil, err
		}
		return nil, errNoTable(path)
	}
	return ds, err
}

// vectorDimension returns the length of the table's vectors.
func vectorDimension(sc *arrow.Schema) (int, error) {
	fs, ok := sc.FieldsByName("vector")
	if !ok {
		return 0, errors.New(`the table has no "vector" column: it is not a Resona embeddings table`)
	}
	fsl, ok := fs[0].Type.(*arrow.FixedSizeListType)
	if !ok {
		return 0, fmt.Errorf("the table's vector column is %s, not a fixed-size list", fs[0].Type)
	}
	return int(fsl.Len()), nil
}

// openService opens the service with the configured provider, for the
// commands that embed (generate, search).
func (a *app) openService(ctx context.Context, p provider.Provider, skipIDIndex bool) (*resona.EmbeddingService, error) {
	db, err := a.dbPath()
	if err != nil {
		return nil, err
	}
	// L2, as TypeScript Resona; search labels its figures as squared L2
	// distances.
	return resona.New(ctx, p, db, resona.Options{Logger: a.logger, SkipIDIndex: skipIDIndex, Metric: lance.MetricL2})
}

// openTableService opens the service on an existing table for the commands
// that never embed (stats, maintain): the provider is a stand-in with the
// table's own dimension, so that a table written with any model, by any
// tool, can be inspected and maintained without configuring its provider.
// opts tunes what the diagnostics assume (retention, compaction target,
// staleness threshold); Logger and SkipIDIndex are set here.
func (a *app) openTableService(ctx context.Context, readOnly bool, opts resona.Options) (*resona.EmbeddingService, error) {
	ds, err := a.openTable(ctx)
	if err != nil {
		return nil, err
	}
	dim, err := vectorDimension(ds.Schema())
	ds.Close()
	if err != nil {
		return nil, err
	}
	db, err := a.dbPath()
	if err != nil {
		return nil, err
	}
	opts.Logger, opts.SkipIDIndex = a.logger, readOnly
	return resona.New(ctx, tableOnly{dims: dim}, db, opts)
}

// tableOnly stands in for a provider where nothing is embedded.
type tableOnly struct{ dims int }

func (tableOnly) Name() string      { return "none" }
func (tableOnly) Model() string     { return "" }
func (t tableOnly) Dimensions() int { return t.dims }
func (tableOnly) MaxBatchSize() int { return 1 }
func (tableOnly) MaxChars() int     { return 0 }
func (tableOnly) Embed(context.Context, []string) ([][]float32, error) {
	return nil, errors.New("this command does not embed texts")
}
