package vector

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/interop"
	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/index/pq"
	"github.com/resona-go/resona/lance/internal/knn"
	"github.com/resona-go/resona/lance/internal/linalg"
	"github.com/resona-go/resona/lance/internal/pb/indexpb"
)

// TestLanceDBIndexAgrees has LanceDB 0.39 build an IVF_PQ index, loads its
// index.idx and auxiliary.idx into an Index, and checks that (1) the stored
// codes are exactly what this package's encoder gives for LanceDB's own
// centroids and codebook, read in the transposed per-partition order, and
// (2) searching the loaded model returns LanceDB's rows and distances, with
// and without refining. Together they pin down the codebook layout, the
// transposition, residuals, cosine normalisation and the dot correction.
func TestLanceDBIndexAgrees(t *testing.T) {
	if os.Getenv(interop.SkipEnv) == "skip" {
		t.Skipf("%s=skip", interop.SkipEnv)
	}
	h, err := interop.Locate()
	if err != nil {
		t.Skipf("LanceDB harness unavailable: %v", err)
	}
	script, err := filepath.Abs("testdata/lancedb_ivfpq.mjs")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []linalg.Metric{linalg.MetricL2, linalg.MetricCosine, linalg.MetricDot} {
		t.Run(m.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(h.Node, script, h.Dir, "0.39", dir, m.String())
			cmd.Env = append(os.Environ(), "RUST_LOG=error", "LANCEDB_LOG=error")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("lancedb_ivfpq.mjs: %v\n%s", err, stderr.String())
			}
			checkLanceDBIndex(t, dir, m)
		})
	}
}

func checkLanceDBIndex(t *testing.T, dir string, metric linalg.Metric) {
	ctx := context.Background()
	idxDirs, err := filepath.Glob(filepath.Join(dir, "db", "t.lance", "_indices", "*"))
	if err != nil || len(idxDirs) != 1 {
		t.Fatalf("index directories %v (%v)", idxDirs, err)
	}
	ix, rowCodes, vecs := loadLanceDBIndex(t, idxDirs[0], metric, readLE32(t, filepath.Join(dir, "vectors.f32")))
	cb := ix.Codebook

	// (1) Codes: encode each row's residual (or vector, for dot) against
	// LanceDB's model and compare with the stored bytes.
	differ, total := 0, 0
	for p, part := range ix.Partitions {
		n := len(part.RowIDs)
		in := make([]float32, n*ix.Dim)
		for i, id := range part.RowIDs {
			v := in[i*ix.Dim : (i+1)*ix.Dim]
			copy(v, vecs[int(id)*ix.Dim:(int(id)+1)*ix.Dim])
			if metric == linalg.MetricCosine {
				norm := linalg.Norm(v)
				for d := range v {
					v[d] /= norm
				}
			}
			if metric != linalg.MetricDot {
				for d := range v {
					v[d] -= ix.Centroids[p*ix.Dim+d]
				}
			}
		}
		ours, err := cb.Encode(ctx, in, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := pq.Transpose(ours, cb.M)
		for i, c := range rowCodes[p] {
			total++
			if c != want[i] {
				differ++
			}
		}
	}
	// Float rounding may flip a near tie between two centroids, rarely.
	if differ*1000 > total {
		t.Errorf("%d of %d stored codes differ from this encoder's", differ, total)
	}

	// (2) Searches.
	var results []struct {
		Q          []float32 `json:"q"`
		IDs        []uint64  `json:"ids"`
		Dist       []float32 `json:"dist"`
		IDsRefine  []uint64  `json:"ids_refine"`
		DistRefine []float32 `json:"dist_refine"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &results); err != nil {
		t.Fatal(err)
	}
	fetch := fetchFrom(vecs, ix.Dim)
	for qi, r := range results {
		pqOnly, err := ix.Search(ctx, r.Q, SearchParams{K: 10, NProbes: len(ix.Partitions)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		refined, err := ix.Search(ctx, r.Q, SearchParams{K: 10, NProbes: len(ix.Partitions), RefineFactor: 5}, fetch)
		if err != nil {
			t.Fatal(err)
		}
		compareNeighbors(t, "pq", qi, pqOnly, r.IDs, r.Dist)
		compareNeighbors(t, "refined", qi, refined, r.IDsRefine, r.DistRefine)
	}
}

// compareNeighbors expects the same rows in the same order, allowing two
// neighbours whose distances are within rounding to swap places.
func compareNeighbors(t *testing.T, what string, qi int, got []knn.Neighbor, ids []uint64, dists []float32) {
	t.Helper()
	if len(got) != len(ids) {
		t.Fatalf("%s query %d: %d results, LanceDB %d", what, qi, len(got), len(ids))
	}
	for i, g := range got {
		tol := 1e-4 * (1 + math.Abs(float64(dists[i])))
		if math.Abs(float64(g.Distance-dists[i])) > tol {
			t.Errorf("%s query %d rank %d: distance %g, LanceDB %g", what, qi, i, g.Distance, dists[i])
		}
		if g.Row != ids[i] {
			j := i ^ 1 // the neighbour it may have swapped with
			if j >= len(ids) || ids[j] != g.Row || math.Abs(float64(dists[i]-dists[j])) > tol {
				t.Errorf("%s query %d rank %d: row %d, LanceDB %d", what, qi, i, g.Row, ids[i])
			}
		}
	}
}

// loadLanceDBIndex reads an IVF_PQ v3 index directory into an Index, with
// each partition's stored codes also returned as read.
func loadLanceDBIndex(t *testing.T, dir string, metric linalg.Metric, vecs []float32) (*Index, [][]byte, []float32) {
	ctx := context.Background()
	open := func(name string) *file.Reader {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		r, err := file.Open(ctx, f, st.Size(), name)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	message := func(r *file.Reader, pos []byte, msg proto.Message) {
		i, err := strconv.Atoi(string(pos))
		if err != nil {
			t.Fatalf("%s: buffer position %q", r.Path(), pos)
		}
		b, err := r.GlobalBuffer(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if err := proto.Unmarshal(b, msg); err != nil {
			t.Fatal(err)
		}
	}

	idx := open("index.idx")
	md := idx.Schema().GetMetadata()
	var head struct {
		Type         string `json:"type"`
		DistanceType string `json:"distance_type"`
	}
	if err := json.Unmarshal(md["lance:index"], &head); err != nil {
		t.Fatal(err)
	}
	if head.Type != "IVF_PQ" || head.DistanceType != metric.String() {
		t.Fatalf("lance:index %+v", head)
	}
	var ivfMsg indexpb.IVF
	message(idx, md["lance:ivf"], &ivfMsg)
	ct := ivfMsg.GetCentroidsTensor()
	if ct.GetDataType() != indexpb.Tensor_FLOAT32 || len(ct.GetShape()) != 2 {
		t.Fatalf("centroids tensor %v %v", ct.GetDataType(), ct.GetShape())
	}
	parts, dim := int(ct.GetShape()[0]), int(ct.GetShape()[1])
	var flat []string
	if err := json.Unmarshal(md["lance:flat"], &flat); err != nil || len(flat) != parts {
		t.Fatalf("lance:flat %s (%v)", md["lance:flat"], err)
	}

	aux := open("auxiliary.idx")
	amd := aux.Schema().GetMetadata()
	if string(amd["distance_type"]) != metric.String() {
		t.Fatalf("auxiliary distance_type %q", amd["distance_type"])
	}
	var auxIVF indexpb.IVF
	message(aux, amd["lance:ivf"], &auxIVF)
	var storage []string
	if err := json.Unmarshal(amd["storage_metadata"], &storage); err != nil || len(storage) != 1 {
		t.Fatalf("storage_metadata %s (%v)", amd["storage_metadata"], err)
	}
	var pqMeta struct {
		CodebookPosition int  `json:"codebook_position"`
		NBits            int  `json:"nbits"`
		NumSubVectors    int  `json:"num_sub_vectors"`
		Dimension        int  `json:"dimension"`
		Transposed       bool `json:"transposed"`
	}
	if err := json.Unmarshal([]byte(storage[0]), &pqMeta); err != nil {
		t.Fatal(err)
	}
	if !pqMeta.Transposed || pqMeta.Dimension != dim {
		t.Fatalf("pq metadata %+v", pqMeta)
	}
	var cbT indexpb.Tensor
	message(aux, []byte(strconv.Itoa(pqMeta.CodebookPosition)), &cbT)
	cb := &pq.Codebook{Dim: dim, M: pqMeta.NumSubVectors, NBits: pqMeta.NBits, Centroids: readLE32Bytes(cbT.GetData())}
	if err := cb.Validate(); err != nil {
		t.Fatal(err)
	}
	n := aux.NumRows()
	ids, err := aux.ReadRange(ctx, arrow.Field{Name: "_rowid", Type: arrow.PrimitiveTypes.Uint64}, 0, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := aux.ReadRange(ctx, arrow.Field{Name: "__pq_code",
		Type: arrow.FixedSizeListOf(int32(cb.M), arrow.PrimitiveTypes.Uint8)}, 1, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	rowIDs := ids.(*array.Uint64).Uint64Values()
	codeBytes := codes.(*array.FixedSizeList).ListValues().(*array.Uint8).Uint8Values()

	ix := &Index{Metric: metric, Dim: dim, Centroids: readLE32Bytes(ct.GetData()), Codebook: cb}
	var rowCodes [][]byte
	for p := range parts {
		off, ln := int(auxIVF.GetOffsets()[p]), int(auxIVF.GetLengths()[p])
		c := codeBytes[off*cb.M : (off+ln)*cb.M]
		ix.Partitions = append(ix.Partitions, Partition{RowIDs: rowIDs[off : off+ln], Codes: c})
		rowCodes = append(rowCodes, c)
	}
	if err := ix.Validate(); err != nil {
		t.Fatal(err)
	}
	return ix, rowCodes, vecs
}

func readLE32(t *testing.T, path string) []float32 {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readLE32Bytes(b)
}

func readLE32Bytes(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
