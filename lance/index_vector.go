package lance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/ivfpqfile"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/linalg"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/pb/indexpb"
)

// Progress steps reported while building a vector index.
const (
	ProgressVectorCount  = "vector: count rows"
	ProgressVectorSample = "vector: sample"
	ProgressVectorIVF    = "vector: train partitions"
	ProgressVectorPQ     = "vector: train codebook"
	ProgressVectorEncode = "vector: encode rows"
)

// buildIVFPQ trains an IVF_PQ model over the live, non-null vectors of
// every fragment and writes it as one v3 segment.
// defaultIndexSeed makes index builds reproducible unless a seed is given.
const defaultIndexSeed = 0x5245534f4e41 // "RESONA"

func buildIVFPQ(ctx context.Context, d *Dataset, column, name string, opts IndexOptions) (*pb.IndexMetadata, error) {
	vf, err := d.vectorField(column)
	if err != nil {
		return nil, err
	}
	if d.m.StableRowIDs() {
		return nil, fmt.Errorf("%w: vector index on a table with stable row ids", ErrUnsupported)
	}
	metric := opts.Metric
	if metric == "" {
		metric = MetricL2
	}
	lm, err := linalg.ParseMetric(string(metric))
	if err != nil {
		return nil, err
	}
	if opts.NumBits != 0 && opts.NumBits != 8 {
		return nil, fmt.Errorf("%w: %d-bit PQ codes (only 8 is written)", ErrUnsupported, opts.NumBits)
	}
	frags := make([]*format.Fragment, len(d.m.Fragments))
	for i := range d.m.Fragments {
		frags[i] = &d.m.Fragments[i]
	}
	src, err := d.newVectorSource(ctx, vf, frags, opts.Progress)
	if err != nil {
		return nil, err
	}
	if src.Len() == 0 {
		return nil, fmt.Errorf("%w: column %q has no non-null vectors to index", ErrInvalidArgument, vf.Name)
	}
	bo := vector.BuildOptions{
		Metric:        lm,
		Partitions:    opts.NumPartitions,
		SubVectors:    opts.NumSubVectors,
		IVFMaxIters:   opts.MaxIterations,
		IVFSampleRate: opts.SampleRate,
		Seed:          opts.Seed,
	}
	if bo.Seed == 0 {
		bo.Seed = defaultIndexSeed
	}
	if opts.Progress != nil {
		bo.Progress = vectorProgress(opts.Progress)
	}
	ix, _, err := vector.Build(ctx, src, bo)
	if err != nil {
		return nil, err
	}
	return writeVectorSegment(ctx, d, vf, name, ix, fragmentIDs(frags))
}

// vectorProgress maps the builder's stages onto ProgressEvents.
func vectorProgress(fn func(ProgressEvent)) func(vector.Event) {
	names := map[vector.Stage]string{
		vector.StageSample: ProgressVectorSample,
		vector.StageIVF:    ProgressVectorIVF,
		vector.StagePQ:     ProgressVectorPQ,
		vector.StageEncode: ProgressVectorEncode,
	}
	return func(e vector.Event) {
		step, ok := names[e.Stage]
		if !ok {
			step = "vector: " + string(e.Stage)
		}
		fn(ProgressEvent{Step: step, Done: uint64(max(e.Step, 0)), Total: uint64(max(e.Total, 0))})
	}
}

func fragmentIDs(frags []*format.Fragment) *roaring.Bitmap {
	bm := roaring.New()
	for _, f := range frags {
		bm.Add(uint32(f.ID))
	}
	return bm
}

// vectorFileVersion picks the file format of index files: the table's own
// data storage version, so that readers of the table's data files can read
// them too (2.2 for newer tables).
func vectorFileVersion(m *format.Manifest) filewriter.Version {
	switch m.DataStorageVersion {
	case "", "0.1", "0.2", "0.3", "2.0", "legacy":
		return filewriter.Version2_0
	case "2.1":
		return filewriter.Version2_1
	}
	return filewriter.Version2_2
}

// writeVectorSegment writes ix under a new uuid and returns its manifest
// entry covering frags.
func writeVectorSegment(ctx context.Context, d *Dataset, vf *format.Field, name string, ix *vector.Index, frags *roaring.Bitmap) (*pb.IndexMetadata, error) {
	for _, id := range frags.ToArray() {
		if uint64(id) > 1<<32-1 {
			return nil, fmt.Errorf("%w: fragment id %d", ErrCorrupt, id)
		}
	}
	id := uuid.New()
	dir := format.IndicesDir + "/" + id.String()
	files, err := ivfpqfile.Write(ctx, d.store, dir, ix, ivfpqfile.Options{Version: vectorFileVersion(d.m)})
	if err != nil {
		removeIndexDir(context.WithoutCancel(ctx), d, dir)
		return nil, err
	}
	// The session's next searches use the index just built instead of
	// reading it back; if the commit fails, no version lists the uuid and
	// the entry goes with the next version this session sees.
	d.files.seedSegment(id.String(), ix)
	bm, err := frags.ToBytes()
	if err != nil {
		return nil, err
	}
	return &pb.IndexMetadata{
		Uuid:           &pb.UUID{Uuid: id[:]},
		Fields:         []int32{vf.ID},
		Name:           name,
		DatasetVersion: d.m.Version,
		FragmentBitmap: bm,
		IndexDetails:   ivfpqfile.Details(ix),
		IndexVersion:   proto.Int32(ivfpqfile.IndexVersion),
		CreatedAt:      proto.Uint64(uint64(time.Now().UnixMilli())),
		Files:          files,
	}, nil
}

// vectorDetailsMetric reads the metric from a segment's VectorIndexDetails,
// "" when the manifest does not carry them.
func vectorDetailsMetric(seg *format.Index) Metric {
	det := seg.PB.GetIndexDetails()
	if det == nil || !strings.HasSuffix(det.GetTypeUrl(), "lance.index.pb.VectorIndexDetails") {
		return ""
	}
	var vd indexpb.VectorIndexDetails
	if err := proto.Unmarshal(det.GetValue(), &vd); err != nil {
		return ""
	}
	switch vd.GetMetricType() {
	case indexpb.VectorMetricType_L2:
		return MetricL2
	case indexpb.VectorMetricType_Cosine:
		return MetricCosine
	case indexpb.VectorMetricType_Dot:
		return MetricDot
	}
	return ""
}
