package resona

import (
	"errors"

	"github.com/resona-go/resona/lance"
)

// Sentinel errors; test with errors.Is. Errors from the storage engine and
// the provider keep their own sentinels (lance.ErrCorrupt,
// provider.ErrUnavailable...) in the chain.
var (
	// ErrNotFound marks a missing embedding.
	ErrNotFound = lance.ErrNotFound
	// ErrDimensionMismatch marks a vector, or an existing table, whose
	// dimension differs from the provider's.
	ErrDimensionMismatch = lance.ErrDimensionMismatch
	// ErrUnsupported marks an operation the storage engine cannot perform
	// yet (for example a vector index type it does not build).
	ErrUnsupported = lance.ErrUnsupported
	// ErrInvalidItem marks an item rejected before embedding: an empty id,
	// an empty text, an id using the reserved chunk suffix, a duplicate.
	ErrInvalidItem = errors.New("resona: invalid item")
	// ErrInvalidVector marks a vector of the wrong length or with NaN or
	// infinite components.
	ErrInvalidVector = errors.New("resona: invalid vector")
	// ErrTooFewRows marks a vector index requested
	// (MaintenanceOptions.RebuildIndex) on a table with fewer than
	// MinTrainingRows live rows.
	ErrTooFewRows = errors.New("resona: too few rows for a vector index")
	// ErrClosed marks a call on a closed EmbeddingService.
	ErrClosed = errors.New("resona: service closed")
)
