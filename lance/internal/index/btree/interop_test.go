package btree

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/resona-go/resona/interop"
	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// lanceDB runs testdata/lancedb.mjs with one pinned LanceDB release.
type lanceDB struct {
	h       *interop.Harness
	version string
}

func locateLanceDB(t *testing.T, version string) *lanceDB {
	t.Helper()
	if testing.Short() {
		t.Skip("runs LanceDB through Node")
	}
	if os.Getenv(interop.SkipEnv) == "skip" {
		t.Skipf("%s=skip", interop.SkipEnv)
	}
	h, err := interop.Locate()
	if err != nil {
		t.Fatal(err)
	}
	return &lanceDB{h: h, version: version}
}

func (l *lanceDB) run(t *testing.T, args ...string) []byte {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "lancedb.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(l.h.Dir, "lancedb-"+l.version)
	cmd := exec.Command(l.h.Node, append([]string{script, dir}, args...)...)
	cmd.Env = append(os.Environ(), "RUST_LOG=error", "LANCEDB_LOG=error")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("lancedb %s %v: %v\n%s", l.version, args, err, stderr.Bytes())
	}
	return out
}

type queryResult struct {
	Indices []struct {
		Name      string   `json:"name"`
		Type      string   `json:"type"`
		Columns   []string `json:"columns"`
		Indexed   *int64   `json:"indexed"`
		Unindexed *int64   `json:"unindexed"`
	} `json:"indices"`
	Plans   map[string]string   `json:"plans"`
	Results map[string][]uint64 `json:"results"`
}

func (l *lanceDB) query(t *testing.T, dbDir string, ids []string) *queryResult {
	t.Helper()
	js, _ := json.Marshal(ids)
	out := l.run(t, "query", dbDir, string(js))
	var r queryResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("query output: %v: %s", err, out)
	}
	return &r
}

// TestLanceDBReadsOurIndex builds our BTREE into a table LanceDB created,
// commits it, and checks that LanceDB lists it, counts its rows and answers
// an id filter through it with the rows our lookups return.
func TestLanceDBReadsOurIndex(t *testing.T) {
	cases := []struct {
		lancedb string
		files   FileFormat
		legacy  bool // the files we expect to have written
	}{
		{"0.13", FilesAuto, true},
		{"0.39", FilesAuto, false},
		{"0.39", FilesLegacy, true},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%d", c.lancedb, c.files), func(t *testing.T) {
			l := locateLanceDB(t, c.lancedb)
			ctx := context.Background()
			dbDir := t.TempDir()
			const n = 5000
			l.run(t, "create", dbDir, "5000")
			store := storage.NewLocal(filepath.Join(dbDir, "embeddings.lance"))
			m, err := format.LoadManifest(ctx, store, 0)
			if err != nil {
				t.Fatal(err)
			}
			md, err := Build(ctx, store, m, "id", "id_idx", Options{Files: c.files})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := commit.Commit(ctx, store, &commit.Transaction{
				ReadVersion: m.Version,
				Operation:   commit.CreateIndex{NewIndices: []*pb.IndexMetadata{md}},
			}, commit.Options{}); err != nil {
				t.Fatal(err)
			}
			ids := []string{"doc-5", "doc-0", "doc-4999", "doc-2500", "missing"}
			got := l.query(t, dbDir, ids)
			if len(got.Indices) != 1 || got.Indices[0].Name != "id_idx" || got.Indices[0].Type != "BTree" {
				t.Fatalf("LanceDB lists %+v", got.Indices)
			}
			if x := got.Indices[0].Indexed; x == nil || *x != n+1 {
				t.Errorf("LanceDB counts %v indexed rows, want %d", x, n+1)
			}
			plan := got.Plans["equal"]
			if !strings.Contains(plan, "ScalarIndexQuery") && !strings.Contains(plan, "MaterializeIndex") {
				t.Errorf("LanceDB does not use the index:\n%s", plan)
			}
			m2, err := format.LoadManifest(ctx, store, 0)
			if err != nil {
				t.Fatal(err)
			}
			ix, err := Open(ctx, store, &m2.Indexes[0])
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if _, legacy := ix.data.(*legacyTable); legacy != c.legacy {
				t.Errorf("wrote legacy files: %v, want %v", legacy, c.legacy)
			}
			for _, id := range ids {
				mine, err := ix.Equal(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(mine, got.Results[id]) && !(len(mine) == 0 && len(got.Results[id]) == 0) {
					t.Errorf("id %q: we find %v, LanceDB %v", id, mine, got.Results[id])
				}
			}
			nulls, err := ix.IsNull(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(nulls, got.Results["null"]) {
				t.Errorf("nulls: we find %d rows, LanceDB %d", len(nulls), len(got.Results["null"]))
			}

			// LanceDB appends, deletes, compacts and updates our index; then
			// both sides must still agree.
			l.run(t, "optimize", dbDir)
			ids = []string{"doc-5", "doc-10", "new-5", "new-3", "doc-2500"}
			after := l.query(t, dbDir, ids)
			for id, want := range map[string]int{"doc-5": 2, "doc-10": 0, "new-5": 1, "new-3": 0, "null": 714} {
				if len(after.Results[id]) != want {
					t.Errorf("after optimize LanceDB finds %d rows for %s, want %d", len(after.Results[id]), id, want)
				}
			}
			if len(after.Indices) != 1 || after.Indices[0].Unindexed == nil || *after.Indices[0].Unindexed != 0 {
				t.Errorf("after optimize LanceDB lists %+v", after.Indices)
			}
			m3, err := format.LoadManifest(ctx, store, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				mine := liveLookup(t, store, m3, id)
				if !sameAddrs(mine, after.Results[id]) {
					t.Errorf("after optimize, id %q: we find %v, LanceDB %v", id, mine, after.Results[id])
				}
			}
		})
	}
}

// liveLookup answers id = v the way a caller of this package does: every
// btree segment on "id", minus deleted rows and rows of dropped fragments.
func liveLookup(t *testing.T, store storage.Store, m *format.Manifest, v string) []uint64 {
	t.Helper()
	ctx := context.Background()
	deleted := map[uint64]*roaring.Bitmap{}
	for i := range m.Fragments {
		bm, err := format.ReadDeletions(ctx, store, &m.Fragments[i])
		if err != nil {
			t.Fatal(err)
		}
		deleted[m.Fragments[i].ID] = bm
	}
	var out []uint64
	for i := range m.Indexes {
		seg := &m.Indexes[i]
		if seg.Name != "id_idx" {
			continue
		}
		ix, err := Open(ctx, store, seg)
		if err != nil {
			t.Fatal(err)
		}
		addrs, err := ix.Equal(ctx, v)
		ix.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			if del, ok := deleted[a>>32]; ok && !del.Contains(uint32(a)) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}
