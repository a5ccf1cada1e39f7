package lance

import (
	"context"
	"errors"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow/array"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/expr"
	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
)

// Delete removes the rows where filter is true and returns the new version
// with the number of rows deleted. Deleted rows are recorded in deletion
// files (a fragment whose rows are all deleted leaves the table); data files
// are not rewritten until compaction. When no row matches, nothing is
// committed and the returned Dataset reads the receiver's version.
//
// A concurrent delete or merge-insert that touched other rows of the same
// fragments is merged at commit; one that touched the same rows makes Delete
// redo its work on the latest version (WriteOptions.CommitRetries bounds how
// often).
func (d *Dataset) Delete(ctx context.Context, filter expr.Expr, opts ...WriteOptions) (*Dataset, int64, error) {
	wo, err := pickWriteOptions(opts)
	if err != nil {
		return nil, 0, err
	}
	if filter == nil {
		return nil, 0, fmt.Errorf("%w: lance: delete from %s: no filter (use Overwrite with no records to empty a table)", ErrInvalidArgument, d.path)
	}
	if err := d.ReadOnlyReason(); err != nil {
		return nil, 0, fmt.Errorf("lance: delete from %s: %w", d.path, err)
	}
	cur := d
	defer func() {
		if cur != d {
			cur.Close()
		}
	}()
	for attempt := 1; ; attempt++ {
		nd, n, err := cur.deleteOnce(ctx, filter, wo)
		var ce *commit.ConflictError
		if err == nil || !errors.As(err, &ce) || !ce.Retryable || attempt >= wo.redoAttempts() {
			if err != nil {
				return nil, 0, fmt.Errorf("lance: delete from %s: %w", d.path, err)
			}
			return nd, n, nil
		}
		latest, lerr := cur.CheckoutLatest(ctx)
		if lerr != nil {
			return nil, 0, fmt.Errorf("lance: delete from %s: %w (reloading after: %w)", d.path, lerr, err)
		}
		if cur != d {
			cur.Close()
		}
		cur = latest
	}
}

func (d *Dataset) deleteOnce(ctx context.Context, filter expr.Expr, wo WriteOptions) (*Dataset, int64, error) {
	byFrag, n, err := d.matchAddresses(ctx, filter, nil)
	if err != nil {
		return nil, 0, err
	}
	if n == 0 {
		return d.same(), 0, nil
	}
	upd, err := d.applyDeletions(ctx, byFrag)
	if err != nil {
		return nil, 0, err
	}
	txn := &commit.Transaction{
		ReadVersion: d.m.Version,
		Operation: commit.Delete{
			UpdatedFragments: upd.updated, DeletedFragmentIDs: upd.removed, Predicate: filter.String(),
		},
	}
	res, err := commitWritten(ctx, d.store, txn, wo.commitOptions(d.m), upd.written)
	if err != nil {
		return nil, 0, err
	}
	nd, err := d.committed(ctx, res)
	return nd, n, err
}

// matchAddresses scans the live rows where filter is true and groups their
// offsets by fragment. frags restricts the scan (nil: every fragment).
func (d *Dataset) matchAddresses(ctx context.Context, filter expr.Expr, frags []uint64) (map[uint64]*roaring.Bitmap, int64, error) {
	byFrag := map[uint64]*roaring.Bitmap{}
	var n int64
	for rec, err := range d.Scan(ctx, ScanOptions{Columns: []string{}, Filter: filter, WithRowAddress: true, Fragments: frags}) {
		if err != nil {
			return nil, 0, err
		}
		addrs, ok := rec.Column(int(rec.NumCols()) - 1).(*array.Uint64)
		if !ok {
			rec.Release()
			return nil, 0, fmt.Errorf("%w: scan returned no row addresses", ErrCorrupt)
		}
		for _, a := range addrs.Uint64Values() {
			addDeleted(byFrag, a)
		}
		n += int64(addrs.Len())
		rec.Release()
	}
	return byFrag, n, nil
}

func addDeleted(byFrag map[uint64]*roaring.Bitmap, addr uint64) {
	frag := addr >> 32
	bm := byFrag[frag]
	if bm == nil {
		bm = roaring.New()
		byFrag[frag] = bm
	}
	bm.Add(uint32(addr))
}

// deletionUpdate is the manifest change of deleting rows: fragments with a
// new deletion file, fragments with no live row left, and the files written.
type deletionUpdate struct {
	updated []*pb.DataFragment
	removed []uint64
	written []string
}

// applyDeletions merges the newly deleted offsets of each fragment with its
// deletion file and writes the merged file, in fragment order.
func (d *Dataset) applyDeletions(ctx context.Context, byFrag map[uint64]*roaring.Bitmap) (*deletionUpdate, error) {
	u := &deletionUpdate{}
	for i := range d.m.Fragments {
		f := &d.m.Fragments[i]
		add := byFrag[f.ID]
		if add == nil || add.IsEmpty() {
			continue
		}
		old, err := format.ReadDeletions(ctx, d.store, f)
		if err != nil {
			removeFiles(ctx, d.store, u.written)
			return nil, err
		}
		merged := roaring.Or(old, add)
		if merged.GetCardinality() >= f.PhysicalRows {
			u.removed = append(u.removed, f.ID)
			continue
		}
		df, err := format.WriteDeletionFile(ctx, d.store, f.ID, d.m.Version, merged)
		if err != nil {
			removeFiles(ctx, d.store, u.written)
			return nil, err
		}
		u.written = append(u.written, format.DeletionFilePath(f.ID, format.DeletionKind(df.GetFileType()), df.GetReadVersion(), df.GetId()))
		nf := proto.Clone(f.PB).(*pb.DataFragment)
		nf.DeletionFile = df
		u.updated = append(u.updated, nf)
	}
	return u, nil
}
