package maintenance

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// rewriter copies the live rows of bins into new data files.
type rewriter struct {
	store storage.Store
	m     *format.Manifest
	opts  *CompactOptions
	log   *slog.Logger
	// version is the file format written, the table's data storage
	// version.
	version filewriter.Version
	// nextID, when set, is the next fragment id to give out; otherwise new
	// fragments get id 0 and the commit assigns them.
	nextID *uint64
	// written are the paths of data files created, removed by discard
	// unless the commit took them.
	written      []string
	bytesRead    uint64
	bytesWritten uint64
	done, total  uint64
}

// discard removes files written by a compaction that was not committed.
func (rw *rewriter) discard(ctx context.Context) {
	for _, p := range rw.written {
		if err := rw.store.Delete(context.WithoutCancel(ctx), p); err != nil {
			rw.log.Debug("compaction: leftover file not removed", "path", p, "err", err)
		}
	}
	rw.written = nil
}

// outFile is the data file being written.
type outFile struct {
	name string // base name under data/
	obj  storage.ObjectWriter
	buf  *bytes.Buffer // when the store cannot stream
	fw   *filewriter.Writer
}

func (rw *rewriter) create(ctx context.Context) (*outFile, error) {
	of := &outFile{name: uuid.NewString() + ".lance"}
	path := format.DataDir + "/" + of.name
	var w interface{ Write([]byte) (int, error) }
	if sc, ok := rw.store.(storage.StreamCreator); ok {
		obj, err := sc.Create(ctx, path)
		if err != nil {
			return nil, err
		}
		of.obj, w = obj, obj
	} else {
		of.buf = &bytes.Buffer{}
		w = of.buf
	}
	fw, err := filewriter.New(w, rw.m.Schema.Arrow, rw.m.PB.Fields, filewriter.Options{Version: rw.version})
	if err != nil {
		of.abort()
		return nil, err
	}
	of.fw = fw
	return of, nil
}

func (of *outFile) abort() {
	if of.obj != nil {
		_ = of.obj.Abort()
	}
}

// finish completes the file and returns its fragment.
func (rw *rewriter) finish(ctx context.Context, of *outFile) (*pb.DataFragment, error) {
	res, err := of.fw.Finish(ctx)
	if err != nil {
		of.abort()
		return nil, err
	}
	path := format.DataDir + "/" + of.name
	if of.obj != nil {
		if err := of.obj.Commit(); err != nil {
			return nil, err
		}
	} else if err := rw.store.PutIfNotExists(ctx, path, of.buf.Bytes()); err != nil {
		return nil, err
	}
	rw.written = append(rw.written, path)
	rw.bytesWritten += res.Bytes
	major, minor := rw.version.FileVersion()
	frag := &pb.DataFragment{
		PhysicalRows: res.Rows,
		Files: []*pb.DataFile{{
			Path: of.name, Fields: res.Fields, ColumnIndices: res.ColumnIndices,
			FileMajorVersion: major, FileMinorVersion: minor,
			FileSizeBytes: res.Bytes,
		}},
	}
	if rw.nextID != nil {
		frag.Id = *rw.nextID
		*rw.nextID++
	}
	rw.log.Debug("compaction: file written", "path", path, "rows", res.Rows, "bytes", res.Bytes)
	return frag, nil
}

// rewriteBin streams the live rows of the bin's fragments, in order, into
// new files of at most the target row count.
func (rw *rewriter) rewriteBin(ctx context.Context, b Bin) (commit.RewriteGroup, GroupMap, error) {
	var g commit.RewriteGroup
	var oldMap []OldFragment
	target := rw.opts.target()
	batch := uint64(rw.opts.batchRows())
	var cur *outFile
	defer func() {
		if cur != nil {
			cur.abort()
		}
	}()
	roll := func() error {
		frag, err := rw.finish(ctx, cur)
		cur = nil
		if err != nil {
			return err
		}
		g.New = append(g.New, frag)
		return nil
	}
	write := func(rec arrow.RecordBatch) error {
		for off := int64(0); off < rec.NumRows(); {
			if cur == nil {
				var err error
				if cur, err = rw.create(ctx); err != nil {
					return err
				}
			}
			n := min(rec.NumRows()-off, int64(target-cur.fw.Rows()))
			part := rec
			if off != 0 || n != rec.NumRows() {
				part = rec.NewSlice(off, off+n)
			}
			err := cur.fw.Write(ctx, part)
			if part != rec {
				part.Release()
			}
			if err != nil {
				return err
			}
			off += n
			full := cur.fw.Rows() >= target
			big := rw.opts.MaxBytesPerFile > 0 && cur.fw.BytesWritten() >= rw.opts.MaxBytesPerFile
			if full || big {
				if err := roll(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, fm := range b.Fragments {
		frag := rw.fragment(fm.ID)
		if frag == nil {
			return g, GroupMap{}, fmt.Errorf("maintenance: fragment %d vanished from version %d", fm.ID, rw.m.Version)
		}
		fr, err := openFragmentReader(ctx, rw.store, rw.m.Schema, frag)
		if err != nil {
			return g, GroupMap{}, err
		}
		rw.bytesRead += fr.bytesRead
		rw.log.Debug("compaction: reading fragment", "id", frag.ID, "rows", frag.PhysicalRows, "deleted", fr.deleted.GetCardinality())
		for s := uint64(0); s < frag.PhysicalRows; s += batch {
			rec, err := fr.readBatch(ctx, s, min(s+batch, frag.PhysicalRows))
			if err == nil && rec != nil {
				err = write(rec)
				rw.done += uint64(rec.NumRows())
				rec.Release()
				if rw.opts.Progress != nil {
					rw.opts.Progress("compact", rw.done, rw.total)
				}
			}
			if err != nil {
				fr.close()
				return g, GroupMap{}, err
			}
		}
		fr.close()
		g.Old = append(g.Old, cloneFragment(frag))
		oldMap = append(oldMap, OldFragment{ID: frag.ID, PhysicalRows: frag.PhysicalRows, Deleted: fr.deleted})
	}
	if cur != nil && cur.fw.Rows() > 0 {
		if err := roll(); err != nil {
			return g, GroupMap{}, err
		}
	}
	var newMap []NewFragment
	for _, f := range g.New {
		newMap = append(newMap, NewFragment{ID: f.Id, Rows: f.PhysicalRows})
	}
	return g, newGroupMap(oldMap, newMap), nil
}

func (rw *rewriter) fragment(id uint64) *format.Fragment {
	for i := range rw.m.Fragments {
		if rw.m.Fragments[i].ID == id {
			return &rw.m.Fragments[i]
		}
	}
	return nil
}
