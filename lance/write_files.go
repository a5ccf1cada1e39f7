package lance

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// writableStorageVersions maps the data storage versions this engine writes
// files in to the writer's format. LanceDB refuses tables whose data files
// mix versions, so a table is only ever written in its own version.
var writableStorageVersions = map[string]filewriter.Version{
	"2.0": filewriter.Version2_0,
	"2.1": filewriter.Version2_1,
	"2.2": filewriter.Version2_2,
}

func fileVersionFor(dsv string) (filewriter.Version, error) {
	v, ok := writableStorageVersions[dsv]
	if !ok {
		return 0, fmt.Errorf("%w: data storage version %q cannot be written (this engine writes %s; LanceDB refuses tables that mix file versions)",
			ErrUnsupported, dsv, writableList())
	}
	return v, nil
}

func checkWritableStorageVersion(dsv string) error {
	_, err := fileVersionFor(dsv)
	return err
}

func writableList() string {
	out := ""
	for _, v := range []string{"2.0", "2.1", "2.2"} {
		if _, ok := writableStorageVersions[v]; ok {
			if out != "" {
				out += ", "
			}
			out += v
		}
	}
	return out
}

// fragmentWriter streams record batches into data files of at most maxRows
// rows, one fragment per file.
type fragmentWriter struct {
	store   storage.Store
	schema  *format.Schema
	version filewriter.Version
	maxRows uint64

	cur     *outDataFile
	frags   []*pb.DataFragment
	written []string // dataset-relative paths of finished files
}

// outDataFile is the data file being written.
type outDataFile struct {
	name string
	obj  storage.ObjectWriter // streaming stores
	buf  *bytes.Buffer        // other stores
	fw   *filewriter.Writer
}

func newFragmentWriter(store storage.Store, schema *format.Schema, dsv string, maxRows int) (*fragmentWriter, error) {
	v, err := fileVersionFor(dsv)
	if err != nil {
		return nil, err
	}
	if maxRows <= 0 {
		maxRows = DefaultMaxRowsPerFile
	}
	return &fragmentWriter{store: store, schema: schema, version: v, maxRows: uint64(maxRows)}, nil
}

// write adds rec, which must already have the schema's Arrow schema.
func (w *fragmentWriter) write(ctx context.Context, rec arrow.RecordBatch) error {
	n := uint64(rec.NumRows())
	for off := uint64(0); off < n; {
		if w.cur == nil {
			if err := w.open(ctx); err != nil {
				return err
			}
		}
		room := w.maxRows - w.cur.fw.Rows()
		take := min(room, n-off)
		part := rec
		if off != 0 || take != n {
			part = rec.NewSlice(int64(off), int64(off+take))
		}
		err := w.cur.fw.Write(ctx, part)
		if part != rec {
			part.Release()
		}
		if err != nil {
			return err
		}
		off += take
		if w.cur.fw.Rows() >= w.maxRows {
			if err := w.close(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *fragmentWriter) open(ctx context.Context) error {
	df := &outDataFile{name: uuid.NewString() + ".lance"}
	var out io.Writer
	if sc, ok := w.store.(storage.StreamCreator); ok {
		obj, err := sc.Create(ctx, format.DataDir+"/"+df.name)
		if err != nil {
			return err
		}
		df.obj, out = obj, obj
	} else {
		df.buf = &bytes.Buffer{}
		out = df.buf
	}
	fw, err := filewriter.New(out, w.schema.Arrow, w.schema.PBFields(), filewriter.Options{Version: w.version})
	if err != nil {
		df.abort()
		return err
	}
	df.fw = fw
	w.cur = df
	return nil
}

func (df *outDataFile) abort() {
	if df.obj != nil {
		_ = df.obj.Abort()
	}
}

// close finishes the current file, makes it durable and records its
// fragment (id 0: the commit assigns ids).
func (w *fragmentWriter) close(ctx context.Context) error {
	df := w.cur
	w.cur = nil
	res, err := df.fw.Finish(ctx)
	if err != nil {
		df.abort()
		return err
	}
	path := format.DataDir + "/" + df.name
	if df.obj != nil {
		if err := df.obj.Commit(); err != nil {
			df.abort()
			return err
		}
	} else if err := w.store.PutIfNotExists(ctx, path, df.buf.Bytes()); err != nil {
		return err
	}
	w.written = append(w.written, path)
	major, minor := w.version.FileVersion()
	w.frags = append(w.frags, &pb.DataFragment{
		PhysicalRows: res.Rows,
		Files: []*pb.DataFile{{
			Path: df.name, Fields: res.Fields, ColumnIndices: res.ColumnIndices,
			FileMajorVersion: major, FileMinorVersion: minor, FileSizeBytes: res.Bytes,
		}},
	})
	return nil
}

// finish closes the last file and returns the fragments written.
func (w *fragmentWriter) finish(ctx context.Context) ([]*pb.DataFragment, error) {
	if w.cur != nil {
		if err := w.close(ctx); err != nil {
			return nil, err
		}
	}
	return w.frags, nil
}

// discard aborts the current file and removes the finished ones.
func (w *fragmentWriter) discard(ctx context.Context) {
	if w.cur != nil {
		w.cur.abort()
		w.cur = nil
	}
	removeFiles(ctx, w.store, w.written)
	w.written = nil
}

// writeFragments conforms records to schema and writes them as new
// fragments. It returns the fragments and the paths of the files written
// (removed again on error).
func writeFragments(ctx context.Context, store storage.Store, schema *format.Schema, dsv string, records []arrow.RecordBatch, maxRows int) ([]*pb.DataFragment, []string, error) {
	w, err := newFragmentWriter(store, schema, dsv, maxRows)
	if err != nil {
		return nil, nil, err
	}
	for i, rec := range records {
		if rec == nil || rec.NumRows() == 0 {
			continue
		}
		conf, err := conformRecord(schema.Arrow, rec)
		if err != nil {
			w.discard(ctx)
			return nil, nil, fmt.Errorf("record batch %d: %w", i, err)
		}
		err = w.write(ctx, conf)
		if conf != rec {
			conf.Release()
		}
		if err != nil {
			w.discard(ctx)
			return nil, nil, err
		}
	}
	frags, err := w.finish(ctx)
	if err != nil {
		w.discard(ctx)
		return nil, nil, err
	}
	return frags, w.written, nil
}
