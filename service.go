package resona

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/provider"
)

// TableName is the table TypeScript Resona and this package keep.
const TableName = "embeddings"

// DebugEnv turns on debug logging when set to "1" or "true" and
// Options.Logger is nil.
const DebugEnv = "RESONA_DEBUG"

// Defaults for Options.
const (
	// DefaultIndexStaleThreshold is the share of unindexed rows above
	// which the vector index counts as stale.
	DefaultIndexStaleThreshold = 0.1
	// DefaultMinIndexRows is the fewest rows Maintain builds a new vector
	// index for by itself: below a few hundred rows an exact scan is as
	// fast as an index anyway.
	DefaultMinIndexRows = MinTrainingRows
	// DefaultRetentionDays is how long old versions are kept.
	DefaultRetentionDays = 7
	// DefaultTargetRowsPerFragment is the compaction target.
	DefaultTargetRowsPerFragment = 500000
)

// MinTrainingRows is the fewest live rows a vector index can be trained
// on: its IVF_PQ product quantizer learns 256 centroids (8-bit codes) per
// sub-vector, one row at least for each (the engine's √rows IVF partitions
// need far fewer). Maintain builds no vector index on a smaller table;
// with MaintenanceOptions.RebuildIndex it fails with ErrTooFewRows.
const MinTrainingRows = 256

// Days returns a pointer to n, for the RetentionDays options.
func Days(n int) *int { return &n }

// Options configure an EmbeddingService. The zero value selects the
// defaults.
type Options struct {
	// Logger receives debug records of every write and maintenance step:
	// inputs, outputs, timings. Texts and API keys are never logged. When
	// nil, New logs at debug level to standard error if RESONA_DEBUG is
	// "1" or "true", and discards records otherwise.
	Logger *slog.Logger
	// Metric is the distance used by searches and by the vector index
	// (lance.MetricL2 when empty, LanceDB's and TypeScript Resona's
	// default, so tables written by either keep their meaning).
	Metric lance.Metric
	// IndexStaleThreshold is the unindexed share above which
	// GetDiagnostics reports NeedsRebuild (DefaultIndexStaleThreshold
	// when 0).
	IndexStaleThreshold float64
	// MinIndexRows is the fewest live rows for which Maintain creates a
	// missing vector index (DefaultMinIndexRows when 0; values below
	// MinTrainingRows act as MinTrainingRows).
	MinIndexRows int
	// RetentionDays is how long old versions are kept: the default of
	// MaintenanceOptions.RetentionDays, and the retention GetDiagnostics
	// assumes for ReclaimableBytes (DefaultRetentionDays when nil; use
	// Days(0) to keep only the latest version).
	RetentionDays *int
	// TargetRowsPerFragment is the compaction target: the default of
	// MaintenanceOptions.TargetRowsPerFragment, and what GetDiagnostics
	// counts as a small fragment (DefaultTargetRowsPerFragment when 0).
	TargetRowsPerFragment int
	// SkipIDIndex leaves the id column without a BTREE index; New creates
	// one otherwise, when the engine supports it.
	SkipIDIndex bool
	// Now returns the current time (time.Now when nil); tests set it.
	Now func() time.Time
}

// EmbeddingService embeds items with one provider and keeps their vectors
// in one Lance table. It is safe for concurrent use; calls are serialized.
type EmbeddingService struct {
	p         provider.Provider
	dbPath    string // the database directory ("x.lance")
	tablePath string // <dbPath>/embeddings.lance
	log       *slog.Logger
	opts      Options

	mu     sync.Mutex
	ds     *lance.Dataset // nil until the table exists
	closed bool
}

// New opens (or prepares to create) the embeddings table of the database
// at dbPath. A path ending in ".db" maps to the same path ending in
// ".lance", as in TypeScript Resona. The table is created by the first
// write. An existing table whose vectors have another dimension than the
// provider's yields ErrDimensionMismatch.
func New(ctx context.Context, p provider.Provider, dbPath string, opts Options) (*EmbeddingService, error) {
	if p == nil {
		return nil, errors.New("resona: new: nil provider")
	}
	if p.Dimensions() <= 0 {
		return nil, fmt.Errorf("resona: new: provider %s reports %d dimensions", p.Name(), p.Dimensions())
	}
	if dbPath == "" {
		return nil, errors.New("resona: new: empty database path")
	}
	if opts.Logger == nil {
		opts.Logger = loggerFromEnv(os.Getenv(DebugEnv))
	}
	if opts.Metric == "" {
		opts.Metric = lance.MetricL2
	}
	if opts.IndexStaleThreshold <= 0 {
		opts.IndexStaleThreshold = DefaultIndexStaleThreshold
	}
	if opts.MinIndexRows <= 0 {
		opts.MinIndexRows = DefaultMinIndexRows
	}
	if opts.RetentionDays == nil {
		opts.RetentionDays = Days(DefaultRetentionDays)
	} else if *opts.RetentionDays < 0 {
		return nil, fmt.Errorf("resona: new: negative RetentionDays %d", *opts.RetentionDays)
	}
	if opts.TargetRowsPerFragment <= 0 {
		opts.TargetRowsPerFragment = DefaultTargetRowsPerFragment
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	dir := DatabaseDir(dbPath)
	s := &EmbeddingService{
		p: p, dbPath: dir, tablePath: filepath.Join(dir, TableName+".lance"),
		log: opts.Logger.With("component", "resona"), opts: opts,
	}
	ds, err := lance.Open(ctx, s.tablePath)
	switch {
	case errors.Is(err, lance.ErrNotFound):
		s.log.Debug("table does not exist yet; created on first write", "table", s.tablePath)
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("resona: new: %w", err)
	}
	if err := s.checkSchema(ds.Schema()); err != nil {
		ds.Close()
		return nil, err
	}
	s.ds = ds
	s.log.Debug("table opened", "table", s.tablePath, "version", ds.Version(), "dimensions", p.Dimensions())
	if err := s.ensureIDIndex(ctx); err != nil {
		s.ds.Close()
		return nil, err
	}
	return s, nil
}

// DatabaseDir maps a database path as TypeScript Resona does: a trailing
// ".db" becomes ".lance"; other paths are used as they are.
func DatabaseDir(dbPath string) string {
	if base, ok := strings.CutSuffix(dbPath, ".db"); ok {
		return base + ".lance"
	}
	return dbPath
}

func loggerFromEnv(v string) *slog.Logger {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// checkSchema verifies that an existing table has a vector column of the
// provider's dimension and the columns this package reads.
func (s *EmbeddingService) checkSchema(sc *arrow.Schema) error {
	for _, name := range []string{colID, colTextHash, colVector} {
		if len(sc.FieldIndices(name)) == 0 {
			return fmt.Errorf("resona: table %s has no %q column; it is not a Resona embeddings table", s.tablePath, name)
		}
	}
	f, _ := sc.FieldsByName(colVector)
	fsl, ok := f[0].Type.(*arrow.FixedSizeListType)
	if !ok || fsl.Elem().ID() != arrow.FLOAT32 {
		return fmt.Errorf("resona: table %s: column vector is %s, want fixed_size_list<float32>", s.tablePath, f[0].Type)
	}
	if int(fsl.Len()) != s.p.Dimensions() {
		return fmt.Errorf("%w: table %s stores %d-dimensional vectors but provider %s (model %s) returns %d; "+
			"use another database path for this model, or delete the table to re-embed everything",
			ErrDimensionMismatch, s.tablePath, fsl.Len(), s.p.Name(), s.p.Model(), s.p.Dimensions())
	}
	return nil
}

// Provider returns the provider the service embeds with.
func (s *EmbeddingService) Provider() provider.Provider { return s.p }

// DatabasePath returns the database directory ("x.lance").
func (s *EmbeddingService) DatabasePath() string { return s.dbPath }

// TablePath returns the table directory ("x.lance/embeddings.lance").
func (s *EmbeddingService) TablePath() string { return s.tablePath }

// Close releases the table's open files. Later calls fail with ErrClosed.
func (s *EmbeddingService) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.ds != nil {
		err := s.ds.Close()
		s.ds = nil
		return err
	}
	return nil
}

// lock takes the service lock and brings the snapshot up to the table's
// latest version, so writes by other processes (TypeScript Resona,
// LanceDB) are seen. The caller unlocks s.mu.
func (s *EmbeddingService) lock(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if err := s.refresh(ctx); err != nil {
		s.mu.Unlock()
		return err
	}
	return nil
}

func (s *EmbeddingService) refresh(ctx context.Context) error {
	if s.ds == nil {
		ds, err := lance.Open(ctx, s.tablePath)
		if errors.Is(err, lance.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("resona: %w", err)
		}
		if err := s.checkSchema(ds.Schema()); err != nil {
			ds.Close()
			return err
		}
		s.ds = ds
		return nil
	}
	nd, err := s.ds.CheckoutLatest(ctx)
	if err != nil {
		return fmt.Errorf("resona: %w", err)
	}
	if nd.Version() == s.ds.Version() {
		nd.Close()
		return nil
	}
	s.swap(nd)
	return nil
}

// swap makes nd the current snapshot.
func (s *EmbeddingService) swap(nd *lance.Dataset) {
	if nd == nil || nd == s.ds {
		return
	}
	if s.ds != nil {
		s.ds.Close()
	}
	s.ds = nd
}

func (s *EmbeddingService) now() time.Time { return s.opts.Now() }
