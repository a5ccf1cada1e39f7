package lance

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/vector"
)

// datasetVectors is a vector.Source over the live, non-null vectors of some
// fragments, read block by block (never the whole column at once). Rows
// are identified by their row addresses.
type datasetVectors struct {
	d     *Dataset
	p     *readPlan
	frags []*format.Fragment
	dim   int
	n     int
}

// newVectorSource counts the rows the source will yield (Build needs the
// count before its first pass).
func (d *Dataset) newVectorSource(ctx context.Context, vf *format.Field, frags []*format.Fragment, progress func(ProgressEvent)) (*datasetVectors, error) {
	p, err := d.plan([]string{vf.Name}, nil)
	if err != nil {
		return nil, err
	}
	s := &datasetVectors{d: d, p: p, frags: frags, dim: vectorDim(vf)}
	for i, f := range frags {
		err := s.scanFragment(ctx, f, func(b vector.Batch) error {
			s.n += len(b.RowIDs)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(ProgressEvent{Step: ProgressVectorCount, Done: uint64(i + 1), Total: uint64(len(frags))})
		}
	}
	return s, nil
}

func (s *datasetVectors) Len() int { return s.n }
func (s *datasetVectors) Dim() int { return s.dim }

func (s *datasetVectors) Scan(ctx context.Context, fn func(vector.Batch) error) error {
	for _, f := range s.frags {
		if err := s.scanFragment(ctx, f, fn); err != nil {
			return err
		}
	}
	return nil
}

// scanFragment hands fn the fragment's vectors, one batch per decoded
// block, leaving out deleted and null rows.
func (s *datasetVectors) scanFragment(ctx context.Context, f *format.Fragment, fn func(vector.Batch) error) error {
	if live, ok := f.LiveRows(); f.PhysicalRows == 0 || (ok && live == 0) {
		return nil
	}
	maxRows := uint64(max(1, searchBlockBytes/(4*s.dim)))
	var ferr error
	var ids []uint64
	var packed []float32
	_, err := s.d.fragmentVectors(ctx, s.p, f, s.dim, maxRows, func(b *vectorBlock) bool {
		defer b.release()
		n := len(b.vectors) / s.dim
		ids = ids[:0]
		vecs := b.vectors
		if b.skip == nil {
			for i := range n {
				ids = append(ids, b.firstRow+uint64(i))
			}
		} else {
			packed = packed[:0]
			for i := range n {
				if !b.skip[i] {
					ids = append(ids, b.firstRow+uint64(i))
					packed = append(packed, b.vectors[i*s.dim:(i+1)*s.dim]...)
				}
			}
			vecs = packed
		}
		if len(ids) == 0 {
			return true
		}
		if ferr = fn(vector.Batch{RowIDs: ids, Vectors: vecs}); ferr != nil {
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	return ferr
}

// vectorDim is the dimension of a fixed_size_list<float32> field.
func vectorDim(f *format.Field) int {
	return int(f.Type.(*arrow.FixedSizeListType).Len())
}
