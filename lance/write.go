package lance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
)

// DefaultMaxRowsPerFile is the number of rows after which a write starts a
// new data file (and fragment), Lance's max_rows_per_file.
const DefaultMaxRowsPerFile = 1024 * 1024

// DefaultDataStorageVersion is the data file format new tables get: 2.0 is
// what LanceDB 0.13 writes and every later LanceDB reads.
const DefaultDataStorageVersion = "2.0"

// WriteMode says what Create does when the table already exists.
type WriteMode int

const (
	// ModeCreate refuses an existing table with ErrInvalidArgument.
	ModeCreate WriteMode = iota
	// ModeOverwrite replaces an existing table's content (and schema) with
	// a new version; older versions stay readable until cleaned up.
	ModeOverwrite
)

// CreateOptions configure Create.
type CreateOptions struct {
	Mode WriteMode
	// DataStorageVersion is the data file format of a new table
	// (DefaultDataStorageVersion when empty).
	DataStorageVersion string
	// MaxRowsPerFile rolls over to a new data file and fragment after
	// this many rows (DefaultMaxRowsPerFile when 0).
	MaxRowsPerFile int
	// CommitRetries bounds how often a commit that lost a race is rebased
	// and tried again (Lance's default of 20 when 0; negative: never).
	CommitRetries int
}

// WriteOptions configure Append, Overwrite, Delete and MergeInsert. At most
// one may be given; the zero value uses the defaults.
type WriteOptions struct {
	// MaxRowsPerFile rolls over to a new data file and fragment after
	// this many rows (DefaultMaxRowsPerFile when 0).
	MaxRowsPerFile int
	// CommitRetries bounds how often a commit that lost a race is rebased
	// and tried again (20 when 0; negative: never). Delete and MergeInsert
	// also redo their work on the latest version this many times when a
	// concurrent change touched the same rows.
	CommitRetries int

	// failpoint is passed to the commit (tests stop writers with it).
	failpoint func(string) error
}

func pickWriteOptions(opts []WriteOptions) (WriteOptions, error) {
	switch len(opts) {
	case 0:
		return WriteOptions{}, nil
	case 1:
		if opts[0].MaxRowsPerFile < 0 {
			return WriteOptions{}, fmt.Errorf("%w: lance: MaxRowsPerFile %d is negative", ErrInvalidArgument, opts[0].MaxRowsPerFile)
		}
		return opts[0], nil
	default:
		return WriteOptions{}, fmt.Errorf("%w: lance: at most one WriteOptions may be given, got %d", ErrInvalidArgument, len(opts))
	}
}

// commitOptions: base is the manifest the write was prepared on (nil when
// there is none), so that the commit need not read it back.
func (o WriteOptions) commitOptions(base *format.Manifest) commit.Options {
	return commit.Options{MaxRetries: o.CommitRetries, Failpoint: o.failpoint, Base: base}
}

func (o WriteOptions) redoAttempts() int {
	switch {
	case o.CommitRetries < 0:
		return 1
	case o.CommitRetries == 0:
		return commit.DefaultMaxRetries + 1
	default:
		return o.CommitRetries + 1
	}
}

// Create writes a new table in directory path from records, which must all
// have the given schema (columns may come in another order; nullability is
// not compared, as in LanceDB, but nulls in a non-nullable column are
// refused). The table gets V2 manifest names, like LanceDB 0.39 writes, and
// data files in opts.DataStorageVersion. An existing table is an
// ErrInvalidArgument error unless opts.Mode is ModeOverwrite. records may be
// empty: the table then has a schema and no rows.
func Create(ctx context.Context, path string, schema *arrow.Schema, records []arrow.RecordBatch, opts CreateOptions) (*Dataset, error) {
	if schema == nil {
		return nil, fmt.Errorf("%w: lance: create %s: no schema", ErrInvalidArgument, path)
	}
	if opts.MaxRowsPerFile < 0 {
		return nil, fmt.Errorf("%w: lance: create %s: MaxRowsPerFile %d is negative", ErrInvalidArgument, path, opts.MaxRowsPerFile)
	}
	dsv := opts.DataStorageVersion
	if dsv == "" {
		dsv = DefaultDataStorageVersion
	}
	if err := checkWritableStorageVersion(dsv); err != nil {
		return nil, fmt.Errorf("lance: create %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("lance: create %s: %w", path, err)
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%w: lance: create %s: not a directory", ErrInvalidArgument, path)
	}
	store := storage.NewLocal(abs)
	var readVersion uint64
	switch latest, err := format.LatestVersion(ctx, store); {
	case err == nil:
		if opts.Mode != ModeOverwrite {
			return nil, fmt.Errorf("%w: lance: create %s: table already exists (version %d); use ModeOverwrite to replace it", ErrInvalidArgument, path, latest.Version)
		}
		readVersion = latest.Version
	case errors.Is(err, ErrNotFound):
	default:
		return nil, fmt.Errorf("lance: create %s: %w", path, err)
	}
	if readVersion > 0 {
		// Overwriting keeps the table's file format unless one is asked
		// for, as Lance does, so that the table stays readable by the
		// LanceDB release that created it.
		m, err := format.LoadManifest(ctx, store, readVersion)
		if err != nil {
			return nil, fmt.Errorf("lance: create %s: %w", path, err)
		}
		if err := m.ReadOnlyReason(); err != nil {
			return nil, fmt.Errorf("lance: create %s: %w", path, err)
		}
		if opts.DataStorageVersion == "" {
			dsv = m.DataStorageVersion
		}
	}
	sch, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: lance: create %s: schema: %w", ErrInvalidArgument, path, err)
	}
	wo := WriteOptions{MaxRowsPerFile: opts.MaxRowsPerFile, CommitRetries: opts.CommitRetries}
	frags, written, err := writeFragments(ctx, store, sch, dsv, records, wo.MaxRowsPerFile)
	if err != nil {
		return nil, fmt.Errorf("lance: create %s: %w", path, err)
	}
	txn := &commit.Transaction{
		ReadVersion: readVersion,
		Operation: commit.Overwrite{
			Fragments: frags, Schema: sch.PBFields(), SchemaMetadata: sch.PBMetadata(),
		},
	}
	co := wo.commitOptions(nil)
	co.NewTableScheme = format.SchemeV2
	co.DataStorageVersion = dsv
	if opts.Mode == ModeCreate {
		// A table created concurrently by another writer must not be
		// overwritten: right before linking its manifest the commit
		// checks that no version exists yet, and a lost race for
		// version 1 is not retried.
		co.MaxRetries = -1
		inner := co.Failpoint
		co.Failpoint = func(name string) error {
			if inner != nil {
				if err := inner(name); err != nil {
					return err
				}
			}
			if name != commit.FailBeforeManifestLink {
				return nil
			}
			switch latest, err := format.LatestVersion(ctx, store); {
			case err == nil:
				return fmt.Errorf("%w: version %d was committed concurrently", ErrCommitConflict, latest.Version)
			case errors.Is(err, ErrNotFound):
				return nil
			default:
				return err
			}
		}
	}
	res, err := commitWritten(ctx, store, txn, co, written)
	if err != nil {
		if opts.Mode == ModeCreate && errors.Is(err, ErrCommitConflict) {
			return nil, fmt.Errorf("%w: lance: create %s: table already exists (created concurrently): %w", ErrInvalidArgument, path, err)
		}
		return nil, fmt.Errorf("lance: create %s: %w", path, err)
	}
	if res.Manifest != nil {
		return newDataset(abs, store, res.Manifest, newFileCache(store)), nil
	}
	return openVersion(ctx, abs, store, res.Version, newFileCache(store))
}

// Append adds records to the table as new fragments, committed as one new
// version, and returns that version. The records must have the table's
// schema (see Create for what is compared). The receiver may be an older
// version: appends never conflict with concurrent appends, deletes or
// compactions, only with an overwrite or restore.
func (d *Dataset) Append(ctx context.Context, records []arrow.RecordBatch, opts ...WriteOptions) (*Dataset, error) {
	wo, err := pickWriteOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := d.checkWritable(); err != nil {
		return nil, fmt.Errorf("lance: append to %s: %w", d.path, err)
	}
	if numRows(records) == 0 {
		return nil, fmt.Errorf("%w: lance: append to %s: no rows", ErrInvalidArgument, d.path)
	}
	frags, written, err := writeFragments(ctx, d.store, d.m.Schema, d.m.DataStorageVersion, records, wo.MaxRowsPerFile)
	if err != nil {
		return nil, fmt.Errorf("lance: append to %s: %w", d.path, err)
	}
	txn := &commit.Transaction{ReadVersion: d.m.Version, Operation: commit.Append{Fragments: frags}}
	res, err := commitWritten(ctx, d.store, txn, wo.commitOptions(d.m), written)
	if err != nil {
		return nil, fmt.Errorf("lance: append to %s: %w", d.path, err)
	}
	return d.committed(ctx, res)
}

// Overwrite replaces the table's content with records in a new version,
// dropping its indexes, as LanceDB's overwrite mode does. The schema is the
// records' (the table's current one when records is empty), so an
// overwrite may change it. Earlier versions stay readable.
func (d *Dataset) Overwrite(ctx context.Context, records []arrow.RecordBatch, opts ...WriteOptions) (*Dataset, error) {
	wo, err := pickWriteOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := d.checkWritable(); err != nil {
		return nil, fmt.Errorf("lance: overwrite %s: %w", d.path, err)
	}
	sch := d.m.Schema
	if len(records) > 0 && !records[0].Schema().Equal(d.m.Schema.Arrow) {
		if sch, err = format.SchemaFromArrow(records[0].Schema(), 0); err != nil {
			return nil, fmt.Errorf("%w: lance: overwrite %s: schema: %w", ErrInvalidArgument, d.path, err)
		}
	}
	frags, written, err := writeFragments(ctx, d.store, sch, d.m.DataStorageVersion, records, wo.MaxRowsPerFile)
	if err != nil {
		return nil, fmt.Errorf("lance: overwrite %s: %w", d.path, err)
	}
	txn := &commit.Transaction{
		ReadVersion: d.m.Version,
		Operation:   commit.Overwrite{Fragments: frags, Schema: sch.PBFields(), SchemaMetadata: sch.PBMetadata()},
	}
	co := wo.commitOptions(d.m)
	co.DataStorageVersion = d.m.DataStorageVersion
	res, err := commitWritten(ctx, d.store, txn, co, written)
	if err != nil {
		return nil, fmt.Errorf("lance: overwrite %s: %w", d.path, err)
	}
	return d.committed(ctx, res)
}

// checkWritable refuses tables this engine may read but not change, and
// data storage versions it cannot write files in.
func (d *Dataset) checkWritable() error {
	if err := d.ReadOnlyReason(); err != nil {
		return err
	}
	return checkWritableStorageVersion(d.m.DataStorageVersion)
}

// commitWritten commits txn; when the commit did not land, the files
// written for it are removed, since no manifest will ever name them.
func commitWritten(ctx context.Context, store storage.Store, txn *commit.Transaction, opts commit.Options, written []string) (*commit.Result, error) {
	res, err := commit.Commit(ctx, store, txn, opts)
	if err != nil && res == nil {
		removeFiles(ctx, store, written)
		return nil, err
	}
	return res, err
}

func removeFiles(ctx context.Context, store storage.Store, paths []string) {
	for _, p := range paths {
		_ = store.Delete(context.WithoutCancel(ctx), p)
	}
}

func numRows(records []arrow.RecordBatch) int64 {
	var n int64
	for _, r := range records {
		if r != nil {
			n += r.NumRows()
		}
	}
	return n
}
