package maintenance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/storage"
)

// DefaultUnverifiedAge is Lance's UNVERIFIED_THRESHOLD_DAYS: a file no
// manifest names may belong to a write in progress until it is this old.
const DefaultUnverifiedAge = 7 * 24 * time.Hour

// FileKind classifies the files of a dataset.
type FileKind int

const (
	KindData        FileKind = iota // data/*.lance
	KindDeletion                    // _deletions/*.{arrow,bin}
	KindIndex                       // _indices/<uuid>/...
	KindTransaction                 // _transactions/*.txn
	KindManifest                    // _versions/*.manifest
	KindOther                       // anything else: hints, tags, staging files
	numKinds
)

// String names the kind.
func (k FileKind) String() string {
	switch k {
	case KindData:
		return "data"
	case KindDeletion:
		return "deletion"
	case KindIndex:
		return "index"
	case KindTransaction:
		return "transaction"
	case KindManifest:
		return "manifest"
	}
	return "other"
}

// KindCount counts files and bytes of one kind.
type KindCount struct {
	Files int
	Bytes uint64
}

// ByKind holds one count per FileKind.
type ByKind [numKinds]KindCount

func (b *ByKind) add(k FileKind, size uint64) {
	b[k].Files++
	b[k].Bytes += size
}

// Total sums every kind.
func (b *ByKind) Total() KindCount {
	var t KindCount
	for _, c := range b {
		t.Files += c.Files
		t.Bytes += c.Bytes
	}
	return t
}

// CleanupOptions select the versions to remove. Versions are removed when
// every given rule says so (Lance's CleanupPolicy); at least one rule is
// required. The latest version and tagged versions are always kept.
type CleanupOptions struct {
	// Before: versions committed strictly before this time expire.
	Before time.Time
	// RetainVersions: only versions older than the newest RetainVersions
	// expire (0: no count rule).
	RetainVersions int
	// UnverifiedAge is how old a file no manifest names must be before it
	// is removed (DefaultUnverifiedAge when 0).
	UnverifiedAge time.Duration
	// DeleteUnverified removes unreferenced files regardless of age. Only
	// safe when no other writer can be active.
	DeleteUnverified bool
	// ErrorIfTaggedOldVersions fails, removing nothing, when a tagged
	// version would otherwise expire (Lance's default); when false tagged
	// versions are kept and reported.
	ErrorIfTaggedOldVersions bool
	// DryRun lists what would be removed without removing anything.
	DryRun bool
	// Now is the current time (time.Now when nil).
	Now func() time.Time
	// Progress, when set, is called as files are removed.
	Progress ProgressFunc
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// RemovedFile is one file cleanup removes (or would remove).
type RemovedFile struct {
	Path string
	Kind FileKind
	Size uint64
	// Verified is true when an expiring manifest names the file, false
	// when it was removed for being unreferenced and old enough.
	Verified bool
}

// CleanupStats describe a cleanup (or, with DryRun, what it would do).
type CleanupStats struct {
	// VersionsRemoved lists the expired versions, ascending.
	VersionsRemoved []uint64
	// BytesRemoved and FilesRemoved include the manifests.
	BytesRemoved uint64
	FilesRemoved int
	ByKind       ByKind
	Files        []RemovedFile
	// TaggedKept are versions kept only because a tag names them.
	TaggedKept []uint64
	// LatestVersion is the version that was current.
	LatestVersion uint64
	DryRun        bool
	Duration      time.Duration
}

// CleanupOldVersions removes expired versions and the files that only they
// needed. Files go first and manifests last, so a crash midway leaves
// every retained version readable and an expired manifest still naming
// its files, which a rerun removes.
func CleanupOldVersions(ctx context.Context, store storage.Store, opts CleanupOptions) (*CleanupStats, error) {
	start := time.Now()
	log := logger(opts.Logger)
	st, err := planCleanup(ctx, store, opts)
	if err != nil {
		return nil, err
	}
	st.DryRun = opts.DryRun
	defer func() { st.Duration = time.Since(start) }()
	log.Debug("cleanup planned", "latest", st.LatestVersion, "versions", len(st.VersionsRemoved),
		"files", st.FilesRemoved, "bytes", st.BytesRemoved, "dry_run", opts.DryRun)
	if opts.DryRun {
		return st, nil
	}
	total := uint64(len(st.Files))
	indexDirs := map[string]bool{}
	for i, f := range st.Files {
		if err := store.Delete(ctx, f.Path); err != nil {
			return st, fmt.Errorf("maintenance: cleanup: %w", err)
		}
		log.Debug("cleanup: removed", "path", f.Path, "kind", f.Kind.String(), "bytes", f.Size, "verified", f.Verified)
		if f.Kind == KindIndex {
			indexDirs[indexDir(f.Path)] = true
		}
		if opts.Progress != nil {
			opts.Progress("cleanup", uint64(i+1), total)
		}
	}
	// Emptied index directories go too; a directory that still holds
	// files (a write in progress) stays, as removing it fails.
	for d := range indexDirs {
		if d != "" {
			_ = store.Delete(ctx, d)
		}
	}
	return st, nil
}

// indexDir returns "_indices/<uuid>" of a path below it.
func indexDir(p string) string {
	parts := strings.SplitN(p, "/", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[0] + "/" + parts[1]
}

// referenced is the set of files some set of manifests names.
type referenced struct {
	data, deletions, txns map[string]bool
	indexUUIDs            map[string]bool
}

func newReferenced() *referenced {
	return &referenced{data: map[string]bool{}, deletions: map[string]bool{}, txns: map[string]bool{}, indexUUIDs: map[string]bool{}}
}

// manifestRefs is what one manifest names.
type manifestRefs struct {
	version   uint64
	timestamp time.Time
	data      []string
	deletions []string
	txn       string
	indexes   []string
}

func (r *referenced) add(m *manifestRefs) {
	for _, p := range m.data {
		r.data[p] = true
	}
	for _, p := range m.deletions {
		r.deletions[p] = true
	}
	if m.txn != "" {
		r.txns[m.txn] = true
	}
	for _, u := range m.indexes {
		r.indexUUIDs[u] = true
	}
}

// readRefs decodes the files a manifest names. Only the file's own rules
// are applied (reader flags, no external base paths): a manifest that
// cannot be understood stops the cleanup, because guessing could delete a
// file a retained version needs.
func readRefs(ctx context.Context, store storage.Store, ref format.VersionRef) (*manifestRefs, error) {
	data, err := store.ReadAll(ctx, ref.Path)
	if err != nil {
		return nil, err
	}
	mf, err := format.DecodeManifestFile(ref.Path, data)
	if err != nil {
		return nil, err
	}
	p := mf.Manifest
	if err := format.CheckReaderFlags(ref.Path, p.ReaderFeatureFlags); err != nil {
		return nil, err
	}
	if len(p.BasePaths) > 0 {
		return nil, fmt.Errorf("%w: %s declares base paths; cleaning up multi-base tables is not supported", lanceerr.ErrUnsupported, ref.Path)
	}
	out := &manifestRefs{version: p.Version, timestamp: ref.ModTime}
	if ts := p.Timestamp; ts != nil && ts.IsValid() {
		out.timestamp = ts.AsTime()
	}
	for _, f := range p.Fragments {
		if f == nil {
			continue
		}
		if len(f.Overlays) > 0 {
			return nil, fmt.Errorf("%w: %s: fragment %d has data overlay files", lanceerr.ErrUnsupported, ref.Path, f.Id)
		}
		for _, df := range f.Files {
			out.data = append(out.data, format.DataDir+"/"+df.GetPath())
		}
		if d := f.DeletionFile; d != nil {
			out.deletions = append(out.deletions, format.DeletionFilePath(f.Id, format.DeletionKind(d.FileType), d.ReadVersion, d.Id))
		}
	}
	if p.TransactionFile != "" {
		out.txn = format.TransactionsDir + "/" + p.TransactionFile
	}
	if mf.Indexes != nil {
		for _, ix := range mf.Indexes.Indices {
			u, err := uuid.FromBytes(ix.GetUuid().GetUuid())
			if err != nil {
				return nil, fmt.Errorf("%w: %s: index %q uuid: %v", lanceerr.ErrCorrupt, ref.Path, ix.GetName(), err)
			}
			out.indexes = append(out.indexes, u.String())
		}
	}
	return out, nil
}

// planCleanup decides what a cleanup removes. It is shared by
// CleanupOldVersions (also for dry runs) and Stats.
func planCleanup(ctx context.Context, store storage.Store, opts CleanupOptions) (*CleanupStats, error) {
	if opts.Before.IsZero() && opts.RetainVersions <= 0 {
		return nil, fmt.Errorf("%w: maintenance: cleanup needs a cutoff time or a number of versions to retain", lanceerr.ErrInvalidArgument)
	}
	now := time.Now()
	if opts.Now != nil {
		now = opts.Now()
	}
	unverifiedAge := opts.UnverifiedAge
	if unverifiedAge <= 0 {
		unverifiedAge = DefaultUnverifiedAge
	}
	if b, err := hasBranches(ctx, store); err != nil {
		return nil, err
	} else if b {
		return nil, fmt.Errorf("%w: maintenance: the dataset has branches, which may share its files; cleanup does not support them", lanceerr.ErrUnsupported)
	}
	tags, err := ListTags(ctx, store)
	if err != nil {
		return nil, err
	}
	tagged := map[uint64]bool{}
	for _, t := range tags {
		if t.Branch == "" {
			tagged[t.Version] = true
		}
	}
	refs, _, err := format.ScanVersions(ctx, store)
	if err != nil {
		return nil, err
	}
	latest := refs[len(refs)-1].Version
	minKeep := uint64(0) // versions below it may expire by count
	if opts.RetainVersions > 0 {
		if len(refs) <= opts.RetainVersions {
			minKeep = refs[0].Version
		} else {
			minKeep = refs[len(refs)-opts.RetainVersions].Version
		}
	}
	expires := func(m *manifestRefs) bool {
		ok := true
		if !opts.Before.IsZero() {
			ok = ok && m.timestamp.Before(opts.Before)
		}
		if opts.RetainVersions > 0 {
			ok = ok && m.version < minKeep
		}
		return ok
	}

	st := &CleanupStats{LatestVersion: latest}
	kept, verified := newReferenced(), newReferenced()
	var earliest time.Time
	var expired []format.VersionRef
	for _, ref := range refs {
		mr, err := readRefs(ctx, store, ref)
		if err != nil {
			return nil, fmt.Errorf("maintenance: cleanup: %w", err)
		}
		old := ref.Version < latest && expires(mr)
		if old && tagged[ref.Version] {
			if opts.ErrorIfTaggedOldVersions {
				return nil, fmt.Errorf("%w: maintenance: cleanup: version %d is tagged; delete the tag or keep the version", lanceerr.ErrInvalidArgument, ref.Version)
			}
			st.TaggedKept = append(st.TaggedKept, ref.Version)
			old = false
		}
		if old {
			verified.add(mr)
			expired = append(expired, ref)
			continue
		}
		kept.add(mr)
		if earliest.IsZero() || mr.timestamp.Before(earliest) {
			earliest = mr.timestamp
		}
	}
	// Detached versions are not part of the history but their files must
	// survive like those of retained versions.
	if err := addDetached(ctx, store, kept); err != nil {
		return nil, err
	}

	threshold := now.Add(-unverifiedAge)
	consider := func(fi storage.FileInfo) (ok, maybeInProgress bool) {
		// Files changed after the earliest retained version was committed
		// may belong to writes that began later: never candidates.
		if fi.ModTime.After(earliest) {
			return false, false
		}
		return true, !opts.DeleteUnverified && !fi.ModTime.Before(threshold)
	}
	decide := func(p string, kind FileKind, fi storage.FileInfo, inKept, inVerified bool) {
		ok, maybe := consider(fi)
		if !ok || inKept {
			return
		}
		if !maybe || inVerified {
			st.Files = append(st.Files, RemovedFile{Path: p, Kind: kind, Size: uint64(fi.Size), Verified: inVerified})
		}
	}
	err = walkFiles(ctx, store, func(p string, fi storage.FileInfo) {
		switch kind := classify(p); kind {
		case KindData:
			decide(p, kind, fi, kept.data[p], verified.data[p])
		case KindDeletion:
			decide(p, kind, fi, kept.deletions[p], verified.deletions[p])
		case KindTransaction:
			decide(p, kind, fi, kept.txns[p], verified.txns[p])
		case KindIndex:
			u := strings.SplitN(p, "/", 3)[1]
			decide(p, kind, fi, kept.indexUUIDs[u], verified.indexUUIDs[u])
		}
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(st.Files, func(i, j int) bool { return st.Files[i].Path < st.Files[j].Path })
	for _, ref := range expired {
		st.VersionsRemoved = append(st.VersionsRemoved, ref.Version)
		st.Files = append(st.Files, RemovedFile{Path: ref.Path, Kind: KindManifest, Size: uint64(ref.Size), Verified: true})
	}
	for _, f := range st.Files {
		st.ByKind.add(f.Kind, f.Size)
		st.BytesRemoved += f.Size
	}
	st.FilesRemoved = len(st.Files)
	return st, nil
}

// classify returns the kind of a dataset-relative file path, by Lance's
// layout: data/*.lance, _deletions/*.{arrow,bin}, _transactions/*.txn,
// _indices/<uuid>/..., _versions/*.manifest; anything else (staging
// files, the version hint, tags) is other and never removed.
func classify(p string) FileKind {
	dir, name := path.Split(p)
	ext := path.Ext(name)
	switch {
	case dir == format.DataDir+"/" && ext == ".lance":
		return KindData
	case dir == format.DeletionsDir+"/" && (ext == ".arrow" || ext == ".bin"):
		return KindDeletion
	case dir == format.TransactionsDir+"/" && ext == ".txn":
		return KindTransaction
	case strings.HasPrefix(p, format.IndicesDir+"/") && strings.Count(p, "/") >= 2:
		return KindIndex
	case dir == format.VersionsDir+"/":
		if _, _, ok := format.ParseManifestName(name); ok {
			return KindManifest
		}
	}
	return KindOther
}

// walkDirs are the directories cleanup looks into.
var walkDirs = []string{format.DataDir, format.DeletionsDir, format.TransactionsDir, format.IndicesDir}

// walkFiles calls fn for every file below the directories cleanup manages.
func walkFiles(ctx context.Context, store storage.Store, fn func(string, storage.FileInfo)) error {
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		entries, err := store.List(ctx, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			p := dir + "/" + e.Name
			if e.IsDir {
				if depth < 8 {
					if err := walk(p, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			fn(p, e)
		}
		return nil
	}
	for _, d := range walkDirs {
		if err := walk(d, 0); err != nil {
			return err
		}
	}
	return nil
}

// addDetached marks the files of detached manifests ("d<N>.manifest") as
// referenced.
func addDetached(ctx context.Context, store storage.Store, kept *referenced) error {
	entries, err := store.List(ctx, format.VersionsDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir || !strings.HasPrefix(e.Name, "d") || !strings.HasSuffix(e.Name, ".manifest") {
			continue
		}
		ref := format.VersionRef{Path: format.VersionsDir + "/" + e.Name, Size: e.Size, ModTime: e.ModTime}
		mr, err := readRefs(ctx, store, ref)
		if err != nil {
			if errors.Is(err, lanceerr.ErrNotFound) {
				continue
			}
			return fmt.Errorf("maintenance: cleanup: detached version: %w", err)
		}
		kept.add(mr)
	}
	return nil
}
