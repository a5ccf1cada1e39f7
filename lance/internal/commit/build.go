package commit

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
)

// Writer identity recorded in Manifest.writer_version. Lance only applies
// its version-specific repairs to manifests whose library is "lance", so a
// distinct name keeps newer Lance from "fixing" our manifests. Lance 0.19
// (LanceDB 0.13) ignores the library and parses the version as semver: any
// version below 0.8.15 makes it recompute every index's fragment bitmap on
// its next commit, an unparsable one makes it panic. The version is kept at
// or above that floor.
const (
	WriterLibrary        = "resona-go"
	WriterLibraryVersion = "1.0.0"
)

// Index names Lance reserves for system indexes, which are never dropped
// for lack of covered fragments.
const (
	fragReuseIndexName = "__lance_frag_reuse"
	memWalIndexName    = "__lance_mem_wal"
)

// tombstoneFieldID marks a field dropped from a data file.
const tombstoneFieldID = -2

// BuildParams are the inputs of Build besides the transaction.
type BuildParams struct {
	// Base is the manifest the transaction is applied to (the latest
	// version); nil when the transaction creates the dataset.
	Base *format.Manifest
	// TransactionFile is recorded in Manifest.transaction_file ("" when the
	// transaction is only stored inline).
	TransactionFile string
	// Timestamp is the commit time (time.Now when zero).
	Timestamp time.Time
	// DataStorageVersion is used for a new dataset without data files
	// ("2.0" when empty). With files, their version decides.
	DataStorageVersion string
}

// Built is the result of applying a transaction: the next manifest and its
// index section (nil when the dataset has no indexes).
type Built struct {
	Manifest *pb.Manifest
	Indexes  *pb.IndexSection
}

// Build applies t to p.Base and returns the next version's manifest, the
// way Lance's Transaction::build_manifest does: new fragments get ids from
// the max fragment id + 1, max_fragment_id only grows, feature flags are
// recomputed from the content, indexes follow the operation's rules.
// Restore is not handled here: it needs the restored manifest (see
// Committer).
func Build(t *Transaction, p BuildParams) (*Built, error) {
	base := p.Base
	if base != nil {
		if err := base.ReadOnlyReason(); err != nil {
			return nil, err
		}
		if base.StableRowIDs() {
			return nil, fmt.Errorf("%w: %w: committing to a table with stable row ids is not supported", lanceerr.ErrReadOnly, lanceerr.ErrUnsupported)
		}
	}
	if _, ok := t.Operation.(Overwrite); !ok && base == nil {
		return nil, fmt.Errorf("%w: commit: %s needs an existing dataset", lanceerr.ErrNotFound, opName(t.Operation))
	}

	if err := validateFragments(t.Operation); err != nil {
		return nil, err
	}

	var baseFrags []*pb.DataFragment
	var indexes []*pb.IndexMetadata
	nextID := uint64(0)
	if base != nil {
		baseFrags = cloneFragments(base.PB.Fragments)
		for i := range base.Indexes {
			indexes = append(indexes, proto.Clone(base.Indexes[i].PB).(*pb.IndexMetadata))
		}
		if id, ok := base.MaxFragmentID(); ok {
			nextID = id + 1
		}
	}
	assign := func(frags []*pb.DataFragment) []*pb.DataFragment {
		out := cloneFragments(frags)
		for _, f := range out {
			if f.Id == 0 {
				f.Id = nextID
				nextID++
			}
		}
		return out
	}

	var fields []*pb.Field
	var schemaMeta map[string][]byte
	if base != nil {
		fields = cloneFields(base.PB.Fields)
		schemaMeta = cloneBytesMap(base.PB.SchemaMetadata)
	}

	var frags []*pb.DataFragment
	switch op := t.Operation.(type) {
	case Append:
		frags = append(baseFrags, assign(op.Fragments)...)
	case Delete:
		frags = replaceFragments(baseFrags, op.DeletedFragmentIDs, op.UpdatedFragments)
		indexes = retainRelevantIndices(indexes, fields, frags)
	case Update:
		frags = replaceFragments(baseFrags, op.RemovedFragmentIDs, op.UpdatedFragments)
		if err := pruneUpdatedFields(indexes, op.UpdatedFragments, op.FieldsModified); err != nil {
			return nil, err
		}
		frags = append(frags, assign(op.NewFragments)...)
		indexes = retainRelevantIndices(indexes, fields, frags)
	case Overwrite:
		if len(op.Schema) == 0 {
			return nil, fmt.Errorf("%w: commit: Overwrite without a schema", lanceerr.ErrInvalidArgument)
		}
		fields = cloneFields(op.Schema)
		schemaMeta = cloneBytesMap(op.SchemaMetadata)
		nextID = 0
		frags = assign(op.Fragments)
		indexes = nil
	case CreateIndex:
		frags = baseFrags
		indexes = applyCreateIndex(indexes, op)
	case Rewrite:
		// New fragments get their ids first (Lance's compaction reserves
		// them beforehand; id 0 means unassigned), so that the index
		// bitmaps name the ids actually committed.
		assigned := Rewrite{RewrittenIndices: op.RewrittenIndices}
		for _, g := range op.Groups {
			assigned.Groups = append(assigned.Groups, RewriteGroup{Old: g.Old, New: assign(g.New)})
		}
		var err error
		if frags, err = rewriteFragments(baseFrags, assigned.Groups, base.Version); err != nil {
			return nil, err
		}
		if err := rewriteIndices(indexes, assigned); err != nil {
			return nil, err
		}
	case Restore:
		return nil, fmt.Errorf("%w: commit: Restore is built from the restored manifest, not by Build", lanceerr.ErrInvalidArgument)
	default:
		return nil, fmt.Errorf("%w: commit: cannot build a manifest for a %s operation", lanceerr.ErrUnsupported, opName(t.Operation))
	}
	if err := checkUniqueIDs(frags); err != nil {
		return nil, err
	}
	if err := checkFileVersions(t.Operation, base); err != nil {
		return nil, err
	}
	sort.SliceStable(frags, func(i, j int) bool { return frags[i].Id < frags[j].Id })
	for _, f := range frags {
		removeTombstonedFiles(f)
	}

	m := &pb.Manifest{
		Fields:         fields,
		Fragments:      frags,
		SchemaMetadata: schemaMeta,
		Tag:            t.Tag,
		WriterVersion:  &pb.Manifest_WriterVersion{Library: WriterLibrary, Version: WriterLibraryVersion},
	}
	if base != nil {
		b := base.PB
		m.Version = b.Version + 1
		m.Branch = b.Branch
		// The high-water mark, computed from the fragments when the base
		// did not record it, so that ids are never handed out twice.
		if hi, ok := base.MaxFragmentID(); ok {
			m.MaxFragmentId = proto.Uint32(uint32(hi))
		}
		m.NextRowId = b.NextRowId
		if b.DataFormat != nil {
			m.DataFormat = proto.Clone(b.DataFormat).(*pb.Manifest_DataStorageFormat)
		} else {
			m.DataFormat = &pb.Manifest_DataStorageFormat{FileFormat: "lance", Version: base.DataStorageVersion}
		}
		m.Config = cloneStringMap(b.Config)
		m.TableMetadata = cloneStringMap(b.TableMetadata)
		for _, bp := range b.BasePaths {
			m.BasePaths = append(m.BasePaths, proto.Clone(bp).(*pb.BasePath))
		}
	} else {
		m.Version = 1
	}
	if _, ok := t.Operation.(Overwrite); ok && (base == nil || len(frags) > 0) {
		// An overwrite's files decide the storage version, as when a Lance
		// user asks for a storage version on overwrite.
		requested := p.DataStorageVersion
		if base != nil && requested == "" {
			requested = base.DataStorageVersion
		}
		m.DataFormat = &pb.Manifest_DataStorageFormat{FileFormat: "lance", Version: newDataStorageVersion(frags, requested)}
	}
	if ow, ok := t.Operation.(Overwrite); ok && len(ow.ConfigUpsert) > 0 {
		if m.Config == nil {
			m.Config = map[string]string{}
		}
		for k, v := range ow.ConfigUpsert {
			m.Config[k] = v
		}
	}
	ts := p.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	m.Timestamp = timestamppb.New(ts)
	var baseWriterFlags uint64
	if base != nil {
		baseWriterFlags = base.WriterFlags
	}
	setFeatureFlags(m, baseWriterFlags)
	updateMaxFragmentID(m)
	m.TransactionFile = p.TransactionFile

	out := &Built{Manifest: m}
	if len(indexes) > 0 {
		out.Indexes = &pb.IndexSection{Indices: indexes}
	}
	return out, nil
}

// checkFileVersions refuses data files whose format version differs from
// the table's data storage version: Lance (12) rejects such tables unless
// the mixed-file-version feature flag is set, which is not written here.
// Files the base already references are not judged again.
func checkFileVersions(op Operation, base *format.Manifest) error {
	if base == nil {
		return nil
	}
	var added []*pb.DataFragment
	switch o := op.(type) {
	case Append:
		added = o.Fragments
	case Update:
		added = append(append(added, o.NewFragments...), o.UpdatedFragments...)
	case Delete:
		added = o.UpdatedFragments
	case Rewrite:
		for _, g := range o.Groups {
			added = append(added, g.New...)
		}
	}
	existing := map[string]bool{}
	for _, f := range base.PB.Fragments {
		for _, df := range f.Files {
			existing[df.Path] = true
		}
	}
	for _, f := range added {
		for _, df := range f.Files {
			if existing[df.Path] {
				continue
			}
			v := format.FileVersion{Major: df.FileMajorVersion, Minor: df.FileMinorVersion}.StorageVersion()
			if v != base.DataStorageVersion {
				return fmt.Errorf("%w: data file %q has format %s but the table stores %s; Lance rejects mixed file versions",
					lanceerr.ErrUnsupported, df.Path, v, base.DataStorageVersion)
			}
		}
	}
	return nil
}

// validateFragments applies Lance's validate_operation checks to the
// fragments a transaction brings in: every data file has a path and at
// least one field, with one column index per field when it lists them.
func validateFragments(op Operation) error {
	var frags []*pb.DataFragment
	switch o := op.(type) {
	case Append:
		frags = o.Fragments
	case Overwrite:
		frags = o.Fragments
	case Update:
		frags = append(append(frags, o.UpdatedFragments...), o.NewFragments...)
	case Delete:
		frags = o.UpdatedFragments
	case Rewrite:
		for _, g := range o.Groups {
			frags = append(frags, g.New...)
		}
	}
	for _, f := range frags {
		if f == nil {
			return fmt.Errorf("%w: commit: nil fragment in %s", lanceerr.ErrInvalidArgument, op.Name())
		}
		for _, df := range f.Files {
			switch {
			case df == nil || df.Path == "":
				return fmt.Errorf("%w: commit: fragment %d has a data file without a path", lanceerr.ErrInvalidArgument, f.Id)
			case len(df.Fields) == 0:
				return fmt.Errorf("%w: commit: data file %s does not contain any fields", lanceerr.ErrInvalidArgument, df.Path)
			case len(df.ColumnIndices) != 0 && len(df.ColumnIndices) != len(df.Fields):
				return fmt.Errorf("%w: commit: data file %s has %d fields but %d column indices",
					lanceerr.ErrInvalidArgument, df.Path, len(df.Fields), len(df.ColumnIndices))
			}
		}
	}
	return nil
}

func opName(op Operation) string {
	if op == nil {
		return "empty"
	}
	return op.Name()
}

// newDataStorageVersion infers a new dataset's data storage version from
// its files, falling back to the requested one.
func newDataStorageVersion(frags []*pb.DataFragment, requested string) string {
	for _, f := range frags {
		for _, df := range f.Files {
			return format.FileVersion{Major: df.FileMajorVersion, Minor: df.FileMinorVersion}.StorageVersion()
		}
	}
	if requested == "" {
		return "2.0"
	}
	return requested
}

// setFeatureFlags recomputes the flags from the manifest content, as
// Lance's apply_feature_flags does. Transaction-file-disabled is a writer
// setting, so it carries over from the base.
func setFeatureFlags(m *pb.Manifest, baseWriterFlags uint64) {
	var reader, writer uint64
	for _, f := range m.Fragments {
		if f.DeletionFile != nil {
			reader |= format.FlagDeletionFiles
			writer |= format.FlagDeletionFiles
			break
		}
	}
	if len(m.Config) > 0 {
		writer |= format.FlagTableConfig
	}
	if len(m.BasePaths) > 0 {
		reader |= format.FlagBasePaths
		writer |= format.FlagBasePaths
	}
	writer |= baseWriterFlags & format.FlagDisableTransactionFile
	m.ReaderFeatureFlags, m.WriterFeatureFlags = reader, writer
}

// updateMaxFragmentID raises max_fragment_id to the largest fragment id
// present; it never goes down, so ids are never reused.
func updateMaxFragmentID(m *pb.Manifest) {
	if len(m.Fragments) == 0 {
		return
	}
	var hi uint64
	for _, f := range m.Fragments {
		hi = max(hi, f.Id)
	}
	id := uint32(hi)
	if m.MaxFragmentId == nil || *m.MaxFragmentId < id {
		m.MaxFragmentId = proto.Uint32(id)
	}
}

func checkUniqueIDs(frags []*pb.DataFragment) error {
	seen := make(map[uint64]bool, len(frags))
	for _, f := range frags {
		if f.Id > uint64(^uint32(0)) {
			return fmt.Errorf("%w: commit: fragment id %d exceeds 32 bits", lanceerr.ErrInvalidArgument, f.Id)
		}
		if seen[f.Id] {
			return fmt.Errorf("%w: commit: fragment id %d would appear twice", lanceerr.ErrInvalidArgument, f.Id)
		}
		seen[f.Id] = true
	}
	return nil
}

// replaceFragments drops the removed ids and swaps in updated fragments by
// id; fragments not present in the base are ignored, as in Lance.
func replaceFragments(frags []*pb.DataFragment, removed []uint64, updated []*pb.DataFragment) []*pb.DataFragment {
	drop := make(map[uint64]bool, len(removed))
	for _, id := range removed {
		drop[id] = true
	}
	repl := make(map[uint64]*pb.DataFragment, len(updated))
	for _, f := range updated {
		repl[f.Id] = f
	}
	out := frags[:0]
	for _, f := range frags {
		if drop[f.Id] {
			continue
		}
		if u, ok := repl[f.Id]; ok {
			f = proto.Clone(u).(*pb.DataFragment)
		}
		out = append(out, f)
	}
	return out
}

// rewriteFragments replaces each group's old fragments with its new ones,
// in place when the old ones are contiguous, else appended at the end. An
// old fragment missing from the base, or whose data or deletion files
// differ from what the rewrite read, means a concurrent change removed or
// changed it: a conflict, since committing would drop its new rows or bring
// back its newly deleted ones.
func rewriteFragments(frags []*pb.DataFragment, groups []RewriteGroup, version uint64) ([]*pb.DataFragment, error) {
	for gi, g := range groups {
		if len(g.Old) == 0 {
			return nil, fmt.Errorf("%w: commit: rewrite group %d has no old fragments", lanceerr.ErrInvalidArgument, gi)
		}
		if err := checkRewriteBase(frags, g.Old, version); err != nil {
			return nil, err
		}
		start := -1
		for i, f := range frags {
			if f.Id == g.Old[0].GetId() {
				start = i
				break
			}
		}
		if start < 0 {
			return nil, fmt.Errorf("%w: version %d no longer has fragment %d that the rewrite replaces", lanceerr.ErrCommitConflict, version, g.Old[0].GetId())
		}
		contiguous := start+len(g.Old) <= len(frags)
		for i := 1; contiguous && i < len(g.Old); i++ {
			contiguous = frags[start+i].Id == g.Old[i].GetId()
		}
		newFrags := g.New
		if contiguous {
			rest := append([]*pb.DataFragment(nil), frags[start+len(g.Old):]...)
			frags = append(append(frags[:start], newFrags...), rest...)
			continue
		}
		old := map[uint64]bool{}
		for _, f := range g.Old {
			old[f.GetId()] = true
		}
		kept := frags[:0]
		for _, f := range frags {
			if !old[f.Id] {
				kept = append(kept, f)
			}
		}
		frags = append(kept, newFrags...)
	}
	return frags, nil
}

// checkRewriteBase verifies that every old fragment of a rewrite group is
// in the base as the rewrite read it. Old fragments recorded by id alone
// (no data files) are only checked for presence.
func checkRewriteBase(frags []*pb.DataFragment, old []*pb.DataFragment, version uint64) error {
	byID := make(map[uint64]*pb.DataFragment, len(frags))
	for _, f := range frags {
		byID[f.Id] = f
	}
	for _, o := range old {
		cur, ok := byID[o.GetId()]
		if !ok {
			return fmt.Errorf("%w: version %d no longer has fragment %d that the rewrite replaces", lanceerr.ErrCommitConflict, version, o.GetId())
		}
		if len(o.GetFiles()) == 0 {
			continue
		}
		if !sameFiles(o.GetFiles(), cur.Files) || !proto.Equal(o.GetDeletionFile(), cur.DeletionFile) {
			return fmt.Errorf("%w: fragment %d changed in version %d after the rewrite read it", lanceerr.ErrCommitConflict, o.GetId(), version)
		}
	}
	return nil
}

func removeTombstonedFiles(f *pb.DataFragment) {
	kept := f.Files[:0]
	for _, df := range f.Files {
		live := false
		for _, id := range df.Fields {
			if id != tombstoneFieldID {
				live = true
				break
			}
		}
		if live {
			kept = append(kept, df)
		}
	}
	f.Files = kept
}

// applyCreateIndex drops existing segments named like a new one or listed
// as removed, then adds the new segments.
func applyCreateIndex(indexes []*pb.IndexMetadata, op CreateIndex) []*pb.IndexMetadata {
	newNames := map[string]bool{}
	for _, ix := range op.NewIndices {
		newNames[ix.Name] = true
	}
	removed := map[string]bool{}
	for _, ix := range op.RemovedIndices {
		removed[string(ix.GetUuid().GetUuid())] = true
	}
	kept := indexes[:0]
	for _, ix := range indexes {
		if newNames[ix.Name] || removed[string(ix.GetUuid().GetUuid())] {
			continue
		}
		kept = append(kept, ix)
	}
	for _, ix := range op.NewIndices {
		kept = append(kept, proto.Clone(ix).(*pb.IndexMetadata))
	}
	return kept
}

// rewriteIndices moves every rewritten index to its new uuid and replaces
// the old fragment ids of its bitmap with the new ones.
func rewriteIndices(indexes []*pb.IndexMetadata, op Rewrite) error {
	seen := map[uuid.UUID]bool{}
	for _, ri := range op.RewrittenIndices {
		if seen[ri.OldID] {
			return fmt.Errorf("%w: commit: index %s is rewritten twice", lanceerr.ErrInvalidArgument, ri.OldID)
		}
		seen[ri.OldID] = true
		var ix *pb.IndexMetadata
		for _, cand := range indexes {
			if string(cand.GetUuid().GetUuid()) == string(ri.OldID[:]) {
				ix = cand
				break
			}
		}
		if ix == nil {
			return fmt.Errorf("%w: commit: rewrite refers to index %s, which the dataset does not have", lanceerr.ErrCommitConflict, ri.OldID)
		}
		if ix.FragmentBitmap == nil {
			return fmt.Errorf("%w: commit: index %s has no fragment bitmap to rewrite", lanceerr.ErrUnsupported, ri.OldID)
		}
		bm, err := decodeBitmap(ix.FragmentBitmap)
		if err != nil {
			return fmt.Errorf("%w: index %s fragment bitmap: %v", lanceerr.ErrCorrupt, ri.OldID, err)
		}
		if bm, err = recalculateBitmap(bm, op.Groups); err != nil {
			return err
		}
		ix.FragmentBitmap = encodeBitmap(bm)
		ix.Uuid = uuidPB(ri.NewID)
		if ri.Details != nil {
			ix.IndexDetails = proto.Clone(ri.Details).(*anyMsg)
		}
		if ri.IndexVersion != 0 {
			ix.IndexVersion = proto.Int32(int32(ri.IndexVersion))
		}
		ix.Files = nil
		for _, f := range ri.Files {
			ix.Files = append(ix.Files, proto.Clone(f).(*pb.IndexFile))
		}
	}
	return nil
}

// recalculateBitmap swaps each fully covered group's old ids for its new
// ids. A group only partly covered by the index is an invalid plan.
func recalculateBitmap(old *roaring.Bitmap, groups []RewriteGroup) (*roaring.Bitmap, error) {
	out := old.Clone()
	for _, g := range groups {
		anyIn, allIn := false, true
		for _, f := range g.Old {
			if old.Contains(uint32(f.GetId())) {
				anyIn = true
			} else {
				allIn = false
			}
		}
		if !anyIn {
			continue
		}
		if !allIn {
			return nil, fmt.Errorf("%w: commit: a rewrite group mixes indexed and unindexed fragments", lanceerr.ErrInvalidArgument)
		}
		for _, f := range g.Old {
			out.Remove(uint32(f.GetId()))
		}
		for _, f := range g.New {
			out.Add(uint32(f.GetId()))
		}
	}
	return out, nil
}

// pruneUpdatedFields removes updated fragments from indexes on a modified
// field: their indexed values are stale.
func pruneUpdatedFields(indexes []*pb.IndexMetadata, updated []*pb.DataFragment, fieldsModified []uint32) error {
	if len(fieldsModified) == 0 {
		return nil
	}
	mod := map[int32]bool{}
	for _, id := range fieldsModified {
		mod[int32(id)] = true
	}
	for _, ix := range indexes {
		hit := false
		for _, id := range ix.Fields {
			hit = hit || mod[id]
		}
		if !hit || ix.FragmentBitmap == nil {
			continue
		}
		bm, err := decodeBitmap(ix.FragmentBitmap)
		if err != nil {
			return fmt.Errorf("%w: index %q fragment bitmap: %v", lanceerr.ErrCorrupt, ix.Name, err)
		}
		for _, f := range updated {
			bm.Remove(uint32(f.GetId()))
		}
		ix.FragmentBitmap = encodeBitmap(bm)
	}
	return nil
}

// retainRelevantIndices follows Lance: indexes on fields no longer in the
// schema go; among segments sharing a name, those covering no remaining
// fragment go unless all are empty, in which case the oldest is kept for
// scalar indexes and none for vector indexes. Bitmaps themselves are left
// as they are (they record what the segment contains).
func retainRelevantIndices(indexes []*pb.IndexMetadata, fields []*pb.Field, frags []*pb.DataFragment) []*pb.IndexMetadata {
	fieldIDs := map[int32]bool{}
	for _, f := range fields {
		fieldIDs[f.Id] = true
	}
	existing := roaring.New()
	for _, f := range frags {
		existing.Add(uint32(f.Id))
	}
	isSystem := func(ix *pb.IndexMetadata) bool {
		return ix.Name == fragReuseIndexName || ix.Name == memWalIndexName
	}
	var kept []*pb.IndexMetadata
	for _, ix := range indexes {
		ok := true
		for _, id := range ix.Fields {
			ok = ok && fieldIDs[id]
		}
		if ok || isSystem(ix) {
			kept = append(kept, ix)
		}
	}
	empty := func(ix *pb.IndexMetadata) bool {
		if ix.FragmentBitmap == nil {
			return true
		}
		bm, err := decodeBitmap(ix.FragmentBitmap)
		if err != nil {
			return false // keep what cannot be judged
		}
		return !bm.Intersects(existing)
	}
	isVector := func(ix *pb.IndexMetadata) bool {
		return ix.IndexDetails != nil && strings.HasSuffix(ix.IndexDetails.TypeUrl, "VectorIndexDetails")
	}
	byName := map[string][]*pb.IndexMetadata{}
	var names []string
	for _, ix := range kept {
		if ix.Name == fragReuseIndexName {
			continue
		}
		if _, ok := byName[ix.Name]; !ok {
			names = append(names, ix.Name)
		}
		byName[ix.Name] = append(byName[ix.Name], ix)
	}
	keep := map[*pb.IndexMetadata]bool{}
	for _, name := range names {
		group := byName[name]
		var nonEmpty []*pb.IndexMetadata
		var oldest *pb.IndexMetadata
		for _, ix := range group {
			if !empty(ix) {
				nonEmpty = append(nonEmpty, ix)
			} else if oldest == nil || ix.DatasetVersion < oldest.DatasetVersion {
				oldest = ix
			}
		}
		switch {
		case len(nonEmpty) > 0:
			for _, ix := range nonEmpty {
				keep[ix] = true
			}
		case oldest != nil && !isVector(oldest):
			keep[oldest] = true
		}
	}
	out := kept[:0]
	for _, ix := range kept {
		if ix.Name == fragReuseIndexName || keep[ix] {
			out = append(out, ix)
		}
	}
	return out
}
