package commit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Failpoint names, in the order a commit passes them. Options.Failpoint
// is called with each; a non-nil return aborts the commit there.
const (
	// FailAfterDataWrite is passed on entry to Commit: the caller's data
	// and deletion files are written, nothing of the commit is.
	FailAfterDataWrite = "after-data-write"
	// FailAfterTxnWrite follows the write of _transactions/*.txn.
	FailAfterTxnWrite = "after-txn-write"
	// FailBeforeManifestLink precedes the create-only put of the manifest.
	FailBeforeManifestLink = "before-manifest-link"
	// FailAfterManifestLink follows it: the version is committed.
	FailAfterManifestLink = "after-manifest-link"
	// FailBeforeHint precedes the rewrite of latest_version_hint.json.
	FailBeforeHint = "before-hint"
)

// DefaultMaxRetries is Lance's default number of commit retries.
const DefaultMaxRetries = 20

// InlineMode says whether the transaction is also written inside the
// manifest (Manifest.transaction_section), as newer Lance does.
type InlineMode int

const (
	// InlineAuto writes it when the base manifest carries one, so a table
	// keeps the convention of the writer that created it.
	InlineAuto InlineMode = iota
	// InlineAlways always writes it.
	InlineAlways
	// InlineNever never writes it.
	InlineNever
)

// Options tune Commit. The zero value behaves like Lance's defaults.
type Options struct {
	// MaxRetries is how many times a commit that lost a race is checked,
	// rebased and tried again (DefaultMaxRetries when 0; negative: none).
	MaxRetries int
	// BackoffUnit is the slot length of the randomized exponential backoff
	// between retries; when 0 it is 1.1× the first attempt's duration (as
	// in Lance), at least a millisecond.
	BackoffUnit time.Duration
	// NewTableScheme names the manifests of a dataset created by this
	// commit (format.SchemeV2 when unknown). Existing datasets keep theirs.
	NewTableScheme format.NamingScheme
	// DataStorageVersion is recorded for a new dataset without data files.
	DataStorageVersion string
	// Inline selects whether the manifest embeds the transaction.
	Inline InlineMode
	// Failpoint, when set, is called at each named step (Fail* constants);
	// crash tests use it to stop a writer at a precise point.
	Failpoint func(name string) error
	// Now returns the commit timestamp (time.Now when nil).
	Now func() time.Time
	// Base is the manifest the transaction was prepared on, when the
	// caller holds it: while it is still the latest version, Commit builds
	// on it instead of reading it back. It is not modified.
	Base *format.Manifest
}

// Result describes a successful commit.
type Result struct {
	Version  uint64
	Path     string // dataset-relative manifest path
	Manifest *format.Manifest
	// Transaction is what was committed (with its UUID filled in).
	Transaction *Transaction
	// TransactionFile is the .txn name under _transactions ("" if none).
	TransactionFile string
	// Attempts counts manifest writes tried, 1 without contention.
	Attempts int
}

// TransactionFileName returns "{read_version}-{uuid}.txn".
func TransactionFileName(t *Transaction) string {
	return strconv.FormatUint(t.ReadVersion, 10) + "-" + t.UUID + ".txn"
}

// Commit commits t to the dataset in store, following Lance's protocol:
// write the transaction file, build the next manifest on the latest
// version, and create the manifest file only if that version is still
// free. A lost race reloads the versions committed since t.ReadVersion,
// checks t against each of their transactions (CheckConflict), rebuilds
// the manifest on the new latest version and retries with randomized
// exponential backoff. Errors wrap lanceerr.ErrCommitConflict (a
// *ConflictError when a concurrent change is incompatible) when the
// commit could not land.
//
// When a failpoint returns an error, Commit returns it. Whenever the
// manifest was created, the version is committed and the Result is
// returned, alongside the error of any later failpoint; its Manifest is
// the committed one, decoded from the bytes written (nil only if they do
// not parse, which is reported as an error). A nil Result means nothing
// was committed. Once linked, the manifest is not required to be
// readable: a concurrent cleanup may already have removed it.
func Commit(ctx context.Context, store storage.Store, t *Transaction, opts Options) (*Result, error) {
	c := &committer{store: store, opts: opts, txns: map[uint64]*Transaction{}}
	return c.commit(ctx, t)
}

type committer struct {
	store storage.Store
	opts  Options
	// txns caches the transactions of versions already loaded.
	txns map[uint64]*Transaction
	// deletes is set for a Delete/Update that overlapped a concurrent
	// Delete/Update and must merge deletion files on every attempt.
	deletes *deletionRebase
}

func (c *committer) fail(name string) error {
	if c.opts.Failpoint == nil {
		return nil
	}
	if err := c.opts.Failpoint(name); err != nil {
		return fmt.Errorf("commit: failpoint %s: %w", name, err)
	}
	return nil
}

func (c *committer) commit(ctx context.Context, t *Transaction) (*Result, error) {
	if t == nil || t.Operation == nil {
		return nil, fmt.Errorf("%w: commit: empty transaction", lanceerr.ErrInvalidArgument)
	}
	if f, ok := t.Operation.(Foreign); ok {
		return nil, fmt.Errorf("%w: commit: committing a %s operation is not supported", lanceerr.ErrUnsupported, f.Kind)
	}
	txn := *t
	if txn.UUID == "" {
		txn.UUID = uuid.NewString()
	}
	if err := c.fail(FailAfterDataWrite); err != nil {
		return nil, err
	}
	retries := c.opts.MaxRetries
	if retries == 0 {
		retries = DefaultMaxRetries
	}
	retries = max(retries, 0)

	start := time.Now()
	unit := c.opts.BackoffUnit
	// checked is the newest version whose transaction t was checked against.
	checked := txn.ReadVersion
	created := false // the dataset did not exist on the first attempt
	txnFile := ""
	written := "" // content of the .txn file written so far
	var lastErr error
	for attempt := 0; attempt <= retries; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// On the first attempt of a commit prepared on the caller's latest
		// manifest, that manifest is presumed to be the latest version; the
		// listing right before the link verifies it, and anything else
		// (a newer version, a missing one) takes the full path below on
		// the next attempt.
		fast := attempt == 0 && c.fastPath(&txn)
		var refs []format.VersionRef
		var scheme format.NamingScheme
		var err error
		if fast {
			b := c.opts.Base
			refs, scheme = []format.VersionRef{{Version: b.Version, Path: b.Path, Scheme: b.Scheme}}, b.Scheme
		} else {
			refs, scheme, err = format.ScanVersionNames(ctx, c.store)
		}
		var base *format.Manifest
		switch {
		case errors.Is(err, lanceerr.ErrNotFound):
			if _, ok := txn.Operation.(Overwrite); !ok || txn.ReadVersion != 0 {
				return nil, fmt.Errorf("commit: %s: %w", txn.Operation.Name(), err)
			}
			if attempt > 0 && !created {
				return nil, fmt.Errorf("%w: the dataset disappeared during the commit", lanceerr.ErrCommitConflict)
			}
			created = true
			scheme = c.opts.NewTableScheme
			if scheme == format.SchemeUnknown {
				scheme = format.SchemeV2
			}
		case err != nil:
			return nil, err
		default:
			if created {
				return nil, &ConflictError{Mine: "Overwrite", Other: "Overwrite", Version: refs[len(refs)-1].Version,
					Reason: "another writer created the dataset first"}
			}
			latest := refs[len(refs)-1]
			if txn.ReadVersion > latest.Version {
				return nil, fmt.Errorf("%w: commit: read version %d is newer than the latest version %d", lanceerr.ErrInvalidArgument, txn.ReadVersion, latest.Version)
			}
			if txn.ReadVersion == 0 {
				if _, ok := txn.Operation.(Overwrite); !ok {
					return nil, fmt.Errorf("%w: commit: %s needs a read version", lanceerr.ErrInvalidArgument, txn.Operation.Name())
				}
				// Overwriting without a read version replaces whatever is
				// there, as Lance does: nothing to check against.
				checked = latest.Version
			}
			if err := c.checkSince(ctx, &txn, refs, checked); err != nil {
				return nil, err
			}
			checked = latest.Version
			if b := c.opts.Base; b != nil && b.Version == latest.Version && b.Path == latest.Path {
				base = b
			} else if base, err = format.ReadManifest(ctx, c.store, latest.Path); err != nil {
				return nil, err
			}
		}

		// A delete that overlapped a concurrent one is rebased onto the
		// current base; every other transaction commits as prepared.
		cur := &txn
		if c.deletes != nil && base != nil {
			if cur, err = c.deletes.apply(ctx, c.store, &txn, base); err != nil {
				return nil, err
			}
		}
		txnData, err := cur.Marshal()
		if err != nil {
			return nil, err
		}
		writeFile := base == nil || base.WriterFlags&format.FlagDisableTransactionFile == 0
		if writeFile && written != string(txnData) {
			txnFile = TransactionFileName(cur)
			if err := c.store.Put(ctx, format.TransactionsDir+"/"+txnFile, txnData); err != nil {
				return nil, err
			}
			written = string(txnData)
			if err := c.fail(FailAfterTxnWrite); err != nil {
				return nil, err
			}
		}
		recorded := ""
		if writeFile {
			recorded = txnFile
		}

		built, err := c.build(ctx, cur, base, refs, recorded)
		if err != nil {
			return nil, err
		}
		var inline []byte
		if c.inline(base) || !writeFile {
			inline = txnData
		}
		data, err := format.EncodeManifestFile(built.Manifest, built.Indexes, inline)
		if err != nil {
			return nil, err
		}
		version := built.Manifest.Version
		path := scheme.ManifestPath(version)
		if err := c.fail(FailBeforeManifestLink); err != nil {
			return nil, err
		}
		// Cleanup may have removed this version number after newer versions
		// landed: the link would then succeed on a manifest that is never
		// the latest, and the commit would be lost. Check right before
		// linking and rebase instead.
		if latest, ok := c.latestIs(ctx, version-1, fast); !ok {
			err = fmt.Errorf("%w: the latest version is %d, not %d, after this commit was prepared", lanceerr.ErrCommitConflict, latest, version-1)
		} else {
			err = c.store.PutIfNotExists(ctx, path, data)
			if err == nil {
				return c.finish(ctx, cur, scheme, path, data, version, txnFile, attempt+1)
			}
		}
		if !errors.Is(err, lanceerr.ErrCommitConflict) {
			return nil, err
		}
		lastErr = err
		if attempt == 0 && unit == 0 {
			unit = max(time.Since(start)*11/10, time.Millisecond)
		}
		if attempt < retries {
			if err := sleep(ctx, backoff(unit, attempt)); err != nil {
				return nil, err
			}
		}
	}
	return nil, fmt.Errorf("%w: commit: gave up after %d attempts (last: %v)", lanceerr.ErrCommitConflict, retries+1, lastErr)
}

// latestIs reports whether base is still the latest version, and the
// latest version found. A newer version means the commit lost a race; an
// older one that versions were removed meanwhile. A listing error counts
// as "yes" after a full attempt (the put-if-not-exists still guards the
// common race) and as "no" on the fast path, which then retries in full.
func (c *committer) latestIs(ctx context.Context, base uint64, fast bool) (uint64, bool) {
	refs, _, err := format.ScanVersionNames(ctx, c.store)
	if err != nil || len(refs) == 0 {
		return 0, !fast
	}
	latest := refs[len(refs)-1].Version
	return latest, latest == base
}

// fastPath reports whether the first attempt may build on opts.Base
// without listing the versions first.
func (c *committer) fastPath(t *Transaction) bool {
	b := c.opts.Base
	if b == nil || b.Version == 0 || b.Version != t.ReadVersion || b.Path == "" || b.Scheme == format.SchemeUnknown || c.deletes != nil {
		return false
	}
	_, restore := t.Operation.(Restore)
	return !restore
}

func (c *committer) inline(base *format.Manifest) bool {
	switch c.opts.Inline {
	case InlineAlways:
		return true
	case InlineNever:
		return false
	}
	return base != nil && base.Transaction != nil
}

// finish runs after the manifest landed: failpoints, the version hint
// and the Result. The Result's Manifest is parsed from the bytes just
// linked, so a concurrent cleanup that already removed the version cannot
// turn a durable commit into a reported failure.
func (c *committer) finish(ctx context.Context, txn *Transaction, scheme format.NamingScheme, path string, data []byte, version uint64, txnFile string, attempts int) (*Result, error) {
	res := &Result{Version: version, Path: path, Transaction: txn, TransactionFile: txnFile, Attempts: attempts}
	m, err := format.ParseManifest(path, storeRoot(c.store), data)
	if err != nil {
		// The version is committed: the Result says so, because callers
		// remove the files of commits that did not land.
		return res, fmt.Errorf("commit: version %d committed but its manifest does not parse: %w", version, err)
	}
	res.Manifest = m
	if err := c.fail(FailAfterManifestLink); err != nil {
		return res, err
	}
	if c.wantHint(ctx, scheme) {
		if err := c.fail(FailBeforeHint); err != nil {
			return res, err
		}
		// The hint is an optimisation only: a failure to write it leaves a
		// stale hint that readers verify anyway.
		_ = format.WriteVersionHint(ctx, c.store, version)
	}
	return res, nil
}

// wantHint: V2 tables get the hint as newer Lance writes it; V1 tables
// only keep an existing one fresh, because Lance 0.19 never updates it and
// a hint created here would go stale as soon as it writes.
func (c *committer) wantHint(ctx context.Context, scheme format.NamingScheme) bool {
	if scheme == format.SchemeV2 {
		return true
	}
	_, err := c.store.Stat(ctx, format.VersionHintFile)
	return err == nil
}

// build computes the next manifest from base (nil: new dataset).
func (c *committer) build(ctx context.Context, txn *Transaction, base *format.Manifest, refs []format.VersionRef, txnFile string) (*Built, error) {
	now := time.Now()
	if c.opts.Now != nil {
		now = c.opts.Now()
	}
	r, ok := txn.Operation.(Restore)
	if !ok {
		return Build(txn, BuildParams{Base: base, TransactionFile: txnFile, Timestamp: now, DataStorageVersion: c.opts.DataStorageVersion})
	}
	if base == nil {
		return nil, fmt.Errorf("%w: commit: Restore needs an existing dataset", lanceerr.ErrNotFound)
	}
	if err := base.ReadOnlyReason(); err != nil {
		return nil, err
	}
	var path string
	for _, ref := range refs {
		if ref.Version == r.Version {
			path = ref.Path
		}
	}
	if path == "" {
		return nil, fmt.Errorf("%w: commit: version %d to restore does not exist", lanceerr.ErrNotFound, r.Version)
	}
	data, err := c.store.ReadAll(ctx, path)
	if err != nil {
		return nil, err
	}
	mf, err := format.DecodeManifestFile(path, data)
	if err != nil {
		return nil, err
	}
	if err := format.CheckReaderFlags(path, mf.Manifest.ReaderFeatureFlags); err != nil {
		return nil, err
	}
	if err := format.WriterFlagsReason(mf.Manifest.WriterFeatureFlags); err != nil {
		return nil, err
	}
	m := proto.Clone(mf.Manifest).(*pb.Manifest)
	m.Version = base.Version + 1
	m.Timestamp = timestamppb.New(now)
	m.TransactionFile = txnFile
	m.Tag = txn.Tag
	m.VersionAuxData = 0
	// Keep the id high-water mark of the newest version so that fragment
	// ids used after the restored version are never handed out again.
	if hi, ok := base.MaxFragmentID(); ok && (m.MaxFragmentId == nil || uint64(*m.MaxFragmentId) < hi) {
		m.MaxFragmentId = proto.Uint32(uint32(hi))
	}
	return &Built{Manifest: m, Indexes: mf.Indexes}, nil
}

// checkSince checks txn against every version committed after `after`.
func (c *committer) checkSince(ctx context.Context, txn *Transaction, refs []format.VersionRef, after uint64) error {
	for _, ref := range refs {
		if ref.Version <= after {
			continue
		}
		other, err := c.transactionAt(ctx, ref)
		if err != nil {
			var ce *ConflictError
			if errors.As(err, &ce) {
				ce.Mine = txn.Operation.Name()
			}
			return err
		}
		err = CheckConflict(txn.Operation, other.Operation, ref.Version)
		var ce *ConflictError
		if errors.As(err, &ce) && ce.Retryable && mergeableOverlap(txn.Operation, other.Operation) {
			if c.deletes == nil {
				c.deletes = &deletionRebase{}
			}
			if lerr := c.deletes.load(ctx, c.store, txn); lerr != nil {
				return lerr
			}
			err = c.deletes.check(txn.Operation, other.Operation, ref.Version)
		}
		if err != nil {
			return err
		}
	}
	if n := refs[len(refs)-1].Version; n > after && uint64(countAfter(refs, after)) != n-after {
		return &ConflictError{Mine: txn.Operation.Name(), Other: "unknown", Version: n,
			Reason: fmt.Sprintf("versions after %d are missing, so concurrent changes cannot be checked", after)}
	}
	return nil
}

func countAfter(refs []format.VersionRef, after uint64) int {
	n := 0
	for _, r := range refs {
		if r.Version > after {
			n++
		}
	}
	return n
}

// transactionAt loads the transaction that produced a version: the inline
// section when present, else the manifest's transaction file.
func (c *committer) transactionAt(ctx context.Context, ref format.VersionRef) (*Transaction, error) {
	if t, ok := c.txns[ref.Version]; ok {
		return t, nil
	}
	t, err := ReadVersionTransaction(ctx, c.store, ref.Path)
	if err != nil {
		if errors.Is(err, lanceerr.ErrNotFound) {
			return nil, &ConflictError{Mine: "?", Other: "unknown", Version: ref.Version,
				Reason: "the version records no readable transaction, so the change cannot be checked: " + err.Error()}
		}
		return nil, err
	}
	c.txns[ref.Version] = t
	return t, nil
}

// ReadVersionTransaction returns the transaction recorded for the manifest
// at path: the inline transaction section when present, otherwise the
// file named by transaction_file. A manifest recording neither yields
// lanceerr.ErrNotFound.
func ReadVersionTransaction(ctx context.Context, store storage.Store, manifestPath string) (*Transaction, error) {
	data, err := store.ReadAll(ctx, manifestPath)
	if err != nil {
		return nil, err
	}
	mf, err := format.DecodeManifestFile(manifestPath, data)
	if err != nil {
		return nil, err
	}
	if mf.Transaction != nil {
		return UnmarshalTransaction(manifestPath+" (inline transaction)", mf.Transaction)
	}
	name := mf.Manifest.TransactionFile
	if name == "" {
		return nil, fmt.Errorf("%w: %s records no transaction", lanceerr.ErrNotFound, manifestPath)
	}
	p := format.TransactionsDir + "/" + name
	b, err := store.ReadAll(ctx, p)
	if err != nil {
		return nil, err
	}
	return UnmarshalTransaction(p, b)
}

// backoff returns a random whole number of slots in [1, 2^attempt] (the
// range capped at 2^8 slots), as Lance's slot backoff does, so writers
// that collided pick different moments to retry.
func backoff(unit time.Duration, attempt int) time.Duration {
	slots := 1 << min(attempt+1, 8)
	return unit * time.Duration(1+rand.IntN(slots))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
