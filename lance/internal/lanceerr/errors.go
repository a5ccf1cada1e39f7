// Package lanceerr holds the sentinel errors shared by every layer of the
// Lance engine. The public lance package re-exports them so that callers can
// test with errors.Is without importing internal packages.
package lanceerr

import "errors"

var (
	// ErrCorrupt marks data on disk that does not follow the Lance format:
	// truncated files, bad magic, offsets out of range, undecodable messages.
	ErrCorrupt = errors.New("lance: corrupt data")
	// ErrNotFound marks a missing table, version, file, column or row.
	ErrNotFound = errors.New("lance: not found")
	// ErrUnsupported marks a format feature this engine does not implement:
	// an unknown feature flag, file version, encoding or index type.
	ErrUnsupported = errors.New("lance: unsupported")
	// ErrCommitConflict marks a commit that lost a race against another
	// writer and could not be rebased. It is safe to retry the operation.
	ErrCommitConflict = errors.New("lance: commit conflict")
	// ErrDimensionMismatch marks a vector whose length differs from the
	// column's fixed size.
	ErrDimensionMismatch = errors.New("lance: vector dimension mismatch")
	// ErrInvalidArgument marks a call with arguments that cannot be honoured.
	ErrInvalidArgument = errors.New("lance: invalid argument")
	// ErrReadOnly marks a write refused because the table was opened
	// read-only (for example because it uses features only readable here).
	ErrReadOnly = errors.New("lance: table is read-only")
)
