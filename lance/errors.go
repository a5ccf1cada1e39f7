package lance

import "github.com/resona-go/resona/lance/internal/lanceerr"

// Sentinel errors. Every error returned by this package that falls into one
// of these classes wraps the matching sentinel, with context (the file, the
// version, the row address...), so callers test them with errors.Is.
var (
	// ErrCorrupt marks data on disk that does not follow the Lance format.
	ErrCorrupt = lanceerr.ErrCorrupt
	// ErrNotFound marks a missing table, version, file, column or row.
	ErrNotFound = lanceerr.ErrNotFound
	// ErrUnsupported marks a format feature this engine does not implement:
	// an unknown reader feature flag, file version, encoding or index type.
	ErrUnsupported = lanceerr.ErrUnsupported
	// ErrCommitConflict marks a commit that lost a race against another
	// writer and could not be rebased; the operation can be retried.
	ErrCommitConflict = lanceerr.ErrCommitConflict
	// ErrDimensionMismatch marks a query vector whose length differs from
	// the vector column's dimension.
	ErrDimensionMismatch = lanceerr.ErrDimensionMismatch
	// ErrInvalidArgument marks a call with arguments that cannot be
	// honoured: an unknown column, a filter comparing mismatched types...
	ErrInvalidArgument = lanceerr.ErrInvalidArgument
	// ErrReadOnly marks a write refused because the table uses features
	// this engine can read but not write; Dataset.ReadOnlyReason says which.
	ErrReadOnly = lanceerr.ErrReadOnly
)
