package commit

import (
	"fmt"
	"slices"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
)

// ConflictError says why a transaction cannot be committed on top of one
// committed concurrently. It wraps lanceerr.ErrCommitConflict.
type ConflictError struct {
	// Mine is the operation being committed; Other the one committed at
	// Version since Mine's read version.
	Mine, Other string
	Version     uint64
	// Retryable is true when redoing the operation against the new
	// version can succeed (the rows it touched moved or changed);
	// false when the other commit replaced the dataset (Overwrite, Restore)
	// or is of a kind this package cannot reason about.
	Retryable bool
	Reason    string
}

func (e *ConflictError) Error() string {
	kind := "incompatible with"
	if e.Retryable {
		kind = "preempted by"
	}
	return fmt.Sprintf("%v: this %s transaction is %s the %s committed at version %d: %s",
		lanceerr.ErrCommitConflict, e.Mine, kind, e.Other, e.Version, e.Reason)
}

// Unwrap makes errors.Is(err, lanceerr.ErrCommitConflict) hold.
func (e *ConflictError) Unwrap() error { return lanceerr.ErrCommitConflict }

// CheckConflict reports whether mine can be rebased over other, committed
// at version otherVersion after mine's read version, by Lance's conflict
// rules. It is strict about Delete/Update pairs: any shared fragment is a
// retryable conflict here; Commit then settles the deletion-only cases by
// merging deletion files. It returns nil or a *ConflictError.
func CheckConflict(mine, other Operation, otherVersion uint64) error {
	retry := func(reason string, args ...any) error {
		return &ConflictError{Mine: opName(mine), Other: opName(other), Version: otherVersion, Retryable: true, Reason: fmt.Sprintf(reason, args...)}
	}
	incompatible := func(reason string, args ...any) error {
		return &ConflictError{Mine: opName(mine), Other: opName(other), Version: otherVersion, Reason: fmt.Sprintf(reason, args...)}
	}
	otherKind := opName(other)

	// Operations that replace the whole dataset win over everything but
	// each other: only Overwrite and Restore themselves survive them.
	switch other.(type) {
	case Overwrite, Restore:
		switch m := mine.(type) {
		case Overwrite:
			if o, ok := other.(Overwrite); ok {
				if k := conflictingKey(m.ConfigUpsert, o.ConfigUpsert); k != "" {
					return incompatible("both set table config key %q", k)
				}
			}
			return nil
		case Restore:
			return nil
		}
		return incompatible("the dataset was replaced")
	}
	if f, ok := other.(Foreign); ok {
		return checkForeign(mine, f, otherVersion)
	}

	switch m := mine.(type) {
	case Append:
		return nil
	case Overwrite, Restore:
		return nil
	case Delete, Update:
		if u, ok := m.(Update); ok && u.InsertedRows != nil {
			if reason := insertedKeysConflict(u.InsertedRows, other); reason != "" {
				return retry("%s", reason)
			}
		}
		mod := modifiedFragments(mine)
		switch other.(type) {
		case Append, CreateIndex:
			return nil
		case Delete, Update, Rewrite:
			if id, ok := overlap(mod, modifiedFragments(other)); ok {
				return retry("both change fragment %d", id)
			}
			return nil
		}
	case CreateIndex:
		switch o := other.(type) {
		case Append, Delete:
			// Rows deleted by a Delete keep their addresses, so the index
			// stays valid.
			return nil
		case CreateIndex:
			// A new segment replaces every segment of its name, so two
			// concurrent builds of one index must not both land.
			for _, a := range m.NewIndices {
				for _, b := range o.NewIndices {
					if a.Name == b.Name {
						return retry("index %q was built concurrently", a.Name)
					}
				}
			}
			return nil
		case Update:
			// Updated values of an indexed field make the new index stale
			// for those fragments (Lance prunes them; this writer retries).
			if id, ok := staleIndexedFragment(m.NewIndices, o); ok {
				return retry("fragment %d had indexed values changed", id)
			}
			return nil
		case Rewrite:
			covered := map[uint64]bool{}
			for _, ix := range m.NewIndices {
				if ix.FragmentBitmap == nil {
					return retry("the new index %q records no fragment bitmap", ix.Name)
				}
				bm, err := decodeBitmap(ix.FragmentBitmap)
				if err != nil {
					return fmt.Errorf("%w: index %q fragment bitmap: %v", lanceerr.ErrCorrupt, ix.Name, err)
				}
				for _, id := range bm.ToArray() {
					covered[uint64(id)] = true
				}
			}
			if id, ok := overlap(covered, modifiedFragments(o)); ok {
				return retry("the compaction moved rows of indexed fragment %d", id)
			}
			return nil
		}
	case Rewrite:
		switch o := other.(type) {
		case Append:
			return nil
		case Delete, Update, Rewrite:
			if id, ok := overlap(modifiedFragments(mine), modifiedFragments(other)); ok {
				return retry("both change fragment %d", id)
			}
			return nil
		case CreateIndex:
			covered := map[uint64]bool{}
			for _, ix := range o.NewIndices {
				if ix.FragmentBitmap == nil {
					return retry("the new index %q records no fragment bitmap", ix.Name)
				}
				bm, err := decodeBitmap(ix.FragmentBitmap)
				if err != nil {
					return fmt.Errorf("%w: index %q fragment bitmap: %v", lanceerr.ErrCorrupt, ix.Name, err)
				}
				for _, id := range bm.ToArray() {
					covered[uint64(id)] = true
				}
			}
			if id, ok := overlap(modifiedFragments(mine), covered); ok {
				return retry("the new index covers fragment %d that the compaction rewrites", id)
			}
			return nil
		}
	}
	return incompatible("no rule for %s after %s", opName(mine), otherKind)
}

// checkForeign applies Lance's rules for operations committed by other
// writers that this package does not build itself. Kinds it does not know
// always conflict.
func checkForeign(mine Operation, other Foreign, version uint64) error {
	retry := func(reason string) error {
		return &ConflictError{Mine: opName(mine), Other: other.Kind, Version: version, Retryable: true, Reason: reason}
	}
	incompatible := func(reason string) error {
		return &ConflictError{Mine: opName(mine), Other: other.Kind, Version: version, Reason: reason}
	}
	switch other.Kind {
	case "ReserveFragments", "Clone", "UpdateBases":
		return nil
	case "UpdateConfig":
		if ow, ok := mine.(Overwrite); ok && len(ow.ConfigUpsert) > 0 {
			return incompatible("both change the table config")
		}
		return nil
	case "Project":
		return nil
	case "Merge":
		switch mine.(type) {
		case Append, Overwrite, Restore, CreateIndex:
			return nil
		}
		return retry("columns were added to the fragments")
	case "DataReplacement":
		switch m := mine.(type) {
		case Append, Overwrite, Restore:
			return nil
		case CreateIndex:
			indexed := map[int32]bool{}
			for _, ix := range m.NewIndices {
				for _, f := range ix.Fields {
					indexed[f] = true
				}
			}
			for _, r := range other.PB.GetDataReplacement().GetReplacements() {
				for _, f := range r.GetNewFile().GetFields() {
					if indexed[f] {
						return retry(fmt.Sprintf("the data of indexed field %d was replaced", f))
					}
				}
			}
			return nil
		default:
			if id, ok := overlap(modifiedFragments(mine), modifiedFragments(other)); ok {
				return retry(fmt.Sprintf("both change fragment %d", id))
			}
			return nil
		}
	case "UpdateMemWalState":
		if _, ok := mine.(Rewrite); ok {
			return nil
		}
		return incompatible("the MemWAL state changed")
	}
	return incompatible("operation kind not understood by this writer")
}

// insertedKeysConflict applies newer Lance's primary-key rule to an Update
// carrying the keys it inserted: any concurrent Append, or Update whose
// inserted keys are unknown or may intersect, could hold the same key.
func insertedKeysConflict(mine *pb.Transaction_KeyExistenceFilter, other Operation) string {
	switch o := other.(type) {
	case Append:
		return "rows were appended concurrently and may repeat an inserted key"
	case Update:
		theirs := o.InsertedRows
		if theirs == nil {
			return "a concurrent update inserted rows whose keys are unknown"
		}
		if !slices.Equal(mine.FieldIds, theirs.FieldIds) {
			return "a concurrent update inserted rows keyed on other fields"
		}
		a, b := mine.GetExact(), theirs.GetExact()
		if a == nil || b == nil {
			return "a concurrent update may have inserted the same keys (bloom filter)"
		}
		set := make(map[uint64]bool, len(a.KeyHashes))
		for _, h := range a.KeyHashes {
			set[h] = true
		}
		for _, h := range b.KeyHashes {
			if set[h] {
				return "a concurrent update inserted the same key"
			}
		}
	}
	return ""
}

// staleIndexedFragment reports an updated fragment covered by one of the
// indexes whose field values the update changed.
func staleIndexedFragment(indexes []*pb.IndexMetadata, u Update) (uint64, bool) {
	if len(u.FieldsModified) == 0 {
		return 0, false
	}
	for _, ix := range indexes {
		touched := false
		for _, f := range ix.Fields {
			touched = touched || slices.Contains(u.FieldsModified, uint32(f))
		}
		if !touched {
			continue
		}
		bm, err := decodeBitmap(ix.FragmentBitmap)
		if err != nil {
			return 0, true
		}
		for _, f := range u.UpdatedFragments {
			if bm.Contains(uint32(f.GetId())) {
				return f.GetId(), true
			}
		}
	}
	return 0, false
}

func overlap(a, b map[uint64]bool) (uint64, bool) {
	for id := range a {
		if b[id] {
			return id, true
		}
	}
	return 0, false
}

// conflictingKey returns a key both maps set to different values.
func conflictingKey(a, b map[string]string) string {
	for k, v := range a {
		if w, ok := b[k]; ok && w != v {
			return k
		}
	}
	return ""
}
