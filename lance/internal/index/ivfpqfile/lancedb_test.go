package ivfpqfile

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/interop"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/linalg"
	"github.com/resona-go/resona/lance/internal/pb/indexpb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// lancedbTable has LanceDB 0.39 write a 3000-row table of 32 dimensions with
// an IVF_PQ index (4 partitions, 8 sub-vectors) and its answers to 8 queries
// (the vector package's fixture script).
func lancedbTable(t *testing.T, metric linalg.Metric) string {
	t.Helper()
	if os.Getenv(interop.SkipEnv) == "skip" {
		t.Skipf("%s=skip", interop.SkipEnv)
	}
	h, err := interop.Locate()
	if err != nil {
		t.Skipf("LanceDB harness unavailable: %v", err)
	}
	script, err := filepath.Abs("../vector/testdata/lancedb_ivfpq.mjs")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(h.Node, script, h.Dir, "0.39", dir, metric.String())
	cmd.Env = append(os.Environ(), "RUST_LOG=error", "LANCEDB_LOG=error")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("lancedb_ivfpq.mjs: %v\n%s", err, stderr.String())
	}
	return dir
}

type lancedbAnswer struct {
	Q    []float32 `json:"q"`
	IDs  []uint64  `json:"ids"`
	Dist []float32 `json:"dist"`
}

// TestReadLanceDBIndex decodes LanceDB's files, checks the manifest entry's
// details against Details, searches the decoded model (unrefined, every
// partition probed) and expects LanceDB's rows and distances, then
// re-encodes the model and expects the same model back.
func TestReadLanceDBIndex(t *testing.T) {
	for _, m := range []linalg.Metric{linalg.MetricL2, linalg.MetricCosine, linalg.MetricDot} {
		t.Run(m.String(), func(t *testing.T) {
			ctx := context.Background()
			dir := lancedbTable(t, m)
			store := storage.NewLocal(filepath.Join(dir, "db", "t.lance"))
			ref, err := format.LatestVersion(ctx, store)
			if err != nil {
				t.Fatal(err)
			}
			man, err := format.LoadManifest(ctx, store, ref.Version)
			if err != nil {
				t.Fatal(err)
			}
			if len(man.Indexes) != 1 {
				t.Fatalf("%d indexes", len(man.Indexes))
			}
			seg := &man.Indexes[0]
			ix, err := Read(ctx, store, seg.Dir())
			if err != nil {
				t.Fatal(err)
			}
			if ix.Metric != m || ix.Dim != 32 || len(ix.Partitions) != 4 || ix.Codebook.M != 8 || ix.Len() != 3000 {
				t.Fatalf("decoded %v dim %d, %d partitions, m %d, %d rows", ix.Metric, ix.Dim, len(ix.Partitions), ix.Codebook.M, ix.Len())
			}
			theirs := seg.PB.GetIndexDetails()
			mine := Details(ix)
			if theirs.GetTypeUrl() != mine.GetTypeUrl() {
				t.Errorf("details type %q, ours %q", theirs.GetTypeUrl(), mine.GetTypeUrl())
			}
			var td, md indexpb.VectorIndexDetails
			if err := proto.Unmarshal(theirs.GetValue(), &td); err != nil {
				t.Fatal(err)
			}
			if err := proto.Unmarshal(mine.GetValue(), &md); err != nil {
				t.Fatal(err)
			}
			td.RuntimeHints, md.RuntimeHints = nil, nil
			if !proto.Equal(&td, &md) {
				t.Errorf("details\n theirs %v\n ours   %v", &td, &md)
			}
			if seg.Version != 1 {
				t.Errorf("index_version %d", seg.Version)
			}

			var answers []lancedbAnswer
			raw, err := os.ReadFile(filepath.Join(dir, "results.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &answers); err != nil {
				t.Fatal(err)
			}
			check := func(what string, ix *vector.Index) {
				for qi, a := range answers {
					got, err := ix.Search(ctx, a.Q, vector.SearchParams{K: 10, NProbes: 4}, nil)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(a.IDs) {
						t.Fatalf("%s query %d: %d results, LanceDB %d", what, qi, len(got), len(a.IDs))
					}
					for i, g := range got {
						tol := 1e-4 * (1 + math.Abs(float64(a.Dist[i])))
						if math.Abs(float64(g.Distance-a.Dist[i])) > tol {
							t.Errorf("%s query %d rank %d: distance %g, LanceDB %g", what, qi, i, g.Distance, a.Dist[i])
						}
					}
				}
			}
			check("read", ix)

			for _, v := range []Options{{}, {Version: filewriter.Version2_2}} {
				idxB, auxB, err := Encode(ctx, ix, v)
				if err != nil {
					t.Fatal(err)
				}
				back := decodeBytes(t, idxB, auxB)
				sameIndex(t, back, ix)
				check("re-encoded", back)
			}
		})
	}
}
