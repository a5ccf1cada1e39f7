package commit

import (
	"context"
	"errors"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Deletes and updates that only mark rows deleted in the same fragment as a
// concurrent Delete/Update are rebased, as Lance does: the rows this
// transaction deletes are added to the fragment's current deletion file,
// unless the two changes hit the same row. This file holds that rebase.

// deletionRebase remembers, per fragment this transaction updates, the
// fragment as it was at the read version and the rows the transaction
// newly deletes in it.
type deletionRebase struct {
	initial  map[uint64]*pb.DataFragment
	affected map[uint64]*roaring.Bitmap
}

// updatedFragments returns the fragments a Delete/Update replaces.
func updatedFragments(op Operation) (updated []*pb.DataFragment, removed []uint64, ok bool) {
	switch o := op.(type) {
	case Delete:
		return o.UpdatedFragments, o.DeletedFragmentIDs, true
	case Update:
		return o.UpdatedFragments, o.RemovedFragmentIDs, true
	}
	return nil, nil, false
}

// mergeableOverlap reports whether every fragment both operations touch is
// one they both only updated (neither removed it), so that the conflict
// can be settled by merging deletion files.
func mergeableOverlap(mine, other Operation) bool {
	_, myRem, ok := updatedFragments(mine)
	if !ok {
		return false
	}
	_, theirRem, ok := updatedFragments(other)
	if !ok {
		return false
	}
	if u, ok := mine.(Update); ok && u.InsertedRows != nil && insertedKeysConflict(u.InsertedRows, other) != "" {
		return false
	}
	mineMod, theirMod := modifiedFragments(mine), modifiedFragments(other)
	for _, id := range myRem {
		if theirMod[id] {
			return false
		}
	}
	for _, id := range theirRem {
		if mineMod[id] {
			return false
		}
	}
	return true
}

// load reads the read-version fragments and the rows txn newly deletes in
// each fragment it updates. A fragment whose data files txn changed cannot
// be rebased, and is left out (its overlap stays a conflict).
func (r *deletionRebase) load(ctx context.Context, store storage.Store, txn *Transaction) error {
	if r.initial != nil {
		return nil
	}
	updated, _, _ := updatedFragments(txn.Operation)
	r.initial, r.affected = map[uint64]*pb.DataFragment{}, map[uint64]*roaring.Bitmap{}
	m, err := format.LoadManifest(ctx, store, txn.ReadVersion)
	if err != nil {
		return err
	}
	byID := map[uint64]*format.Fragment{}
	for i := range m.Fragments {
		byID[m.Fragments[i].ID] = &m.Fragments[i]
	}
	for _, u := range updated {
		init, ok := byID[u.Id]
		if !ok || !sameFiles(init.PB.Files, u.Files) || u.DeletionFile == nil {
			continue
		}
		before, err := format.ReadDeletions(ctx, store, init)
		if err != nil {
			return err
		}
		after, err := readDeletionFile(ctx, store, u)
		if err != nil {
			return err
		}
		r.initial[u.Id] = init.PB
		r.affected[u.Id] = roaring.AndNot(after, before)
	}
	return nil
}

// check verifies that other's changes to the overlapping fragments are
// deletion-only, so that rebase can merge them.
func (r *deletionRebase) check(mine, other Operation, version uint64) error {
	theirs, _, _ := updatedFragments(other)
	mineMod := modifiedFragments(mine)
	for _, f := range theirs {
		if !mineMod[f.Id] {
			continue
		}
		init, ok := r.initial[f.Id]
		if !ok || !sameFiles(init.Files, f.Files) {
			return &ConflictError{Mine: mine.Name(), Other: other.Name(), Version: version, Retryable: true,
				Reason: fmt.Sprintf("both change fragment %d and its data files changed", f.Id)}
		}
	}
	return nil
}

// apply rebases txn onto base: every updated fragment whose deletion file
// changed since the read version gets a new deletion file holding the
// base's deletions plus the rows txn deletes. It returns txn unchanged when
// nothing needed merging, else a copy whose read version is base's (as
// Lance records a rebased transaction).
func (r *deletionRebase) apply(ctx context.Context, store storage.Store, txn *Transaction, base *format.Manifest) (*Transaction, error) {
	updated, removed, _ := updatedFragments(txn.Operation)
	current := map[uint64]*format.Fragment{}
	for i := range base.Fragments {
		current[base.Fragments[i].ID] = &base.Fragments[i]
	}
	var newUpdated []*pb.DataFragment
	newRemoved := append([]uint64(nil), removed...)
	changed := false
	for _, u := range updated {
		init, tracked := r.initial[u.Id]
		cur, exists := current[u.Id]
		if !tracked || !exists || proto.Equal(init.DeletionFile, cur.PB.DeletionFile) {
			newUpdated = append(newUpdated, u)
			continue
		}
		if !sameFiles(init.Files, cur.PB.Files) {
			return nil, &ConflictError{Mine: txn.Operation.Name(), Other: "concurrent change", Version: base.Version, Retryable: true,
				Reason: fmt.Sprintf("the data files of fragment %d changed", u.Id)}
		}
		existing, err := format.ReadDeletions(ctx, store, cur)
		if err != nil {
			return nil, err
		}
		mine := r.affected[u.Id]
		if existing.Intersects(mine) {
			both := roaring.And(existing, mine)
			return nil, &ConflictError{Mine: txn.Operation.Name(), Other: "concurrent change", Version: base.Version, Retryable: true,
				Reason: fmt.Sprintf("both changed row %d of fragment %d", both.Minimum(), u.Id)}
		}
		merged := roaring.Or(existing, mine)
		changed = true
		if merged.GetCardinality() >= cur.PhysicalRows {
			newRemoved = append(newRemoved, u.Id)
			continue
		}
		df, err := format.WriteDeletionFile(ctx, store, u.Id, base.Version, merged)
		if err != nil {
			return nil, err
		}
		nf := proto.Clone(cur.PB).(*pb.DataFragment)
		nf.DeletionFile = df
		newUpdated = append(newUpdated, nf)
	}
	if !changed {
		return txn, nil
	}
	out := *txn
	out.ReadVersion = base.Version
	switch o := txn.Operation.(type) {
	case Delete:
		o.UpdatedFragments, o.DeletedFragmentIDs = newUpdated, newRemoved
		out.Operation = o
	case Update:
		o.UpdatedFragments, o.RemovedFragmentIDs = newUpdated, newRemoved
		out.Operation = o
	}
	return &out, nil
}

// readDeletionFile reads the deletion file a fragment entry names.
func readDeletionFile(ctx context.Context, store storage.Store, f *pb.DataFragment) (*roaring.Bitmap, error) {
	d := f.DeletionFile
	kind := format.DeletionKind(d.FileType)
	path := format.DeletionFilePath(f.Id, kind, d.ReadVersion, d.Id)
	data, err := store.ReadAll(ctx, path)
	if err != nil {
		if errors.Is(err, lanceerr.ErrNotFound) {
			return nil, fmt.Errorf("%w: deletion file %s of the transaction is missing", lanceerr.ErrInvalidArgument, path)
		}
		return nil, err
	}
	return format.DecodeDeletionFile(path, kind, data)
}

func sameFiles(a, b []*pb.DataFile) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
