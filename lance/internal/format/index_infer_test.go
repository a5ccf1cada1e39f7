package format

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resona-go/resona/lance/internal/storage"
)

// LanceDB 0.13 wrote no index details. Rebuild its index directories (file
// names only, as LanceDB left them) and check the inferred types against
// what LanceDB itself reported for the table.
func TestInferIndexTypeLanceDB013(t *testing.T) {
	ctx := context.Background()
	rep := loadReport(t, "testdata/v13")
	m, err := LoadManifest(ctx, storage.NewLocal("testdata/v13"), 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store := storage.NewLocal(dir)
	filesOf := map[string][]string{"BTree": {"page_data.lance", "page_lookup.lance"}, "IvfPq": {"index.idx"}}
	wantType := map[string]string{"BTree": "btree", "IvfPq": "vector"}
	if len(m.Indexes) != len(rep.Indices) {
		t.Fatalf("%d indexes, LanceDB lists %d", len(m.Indexes), len(rep.Indices))
	}
	for _, ri := range rep.Indices {
		for i := range m.Indexes {
			ix := &m.Indexes[i]
			if ix.Name != ri.Name {
				continue
			}
			if ix.Type != "" {
				t.Fatalf("LanceDB 0.13 index %s unexpectedly has details %q", ix.Name, ix.DetailsURL)
			}
			f, _ := m.Schema.FieldByID(ix.Fields[0])
			if len(ri.Columns) != 1 || f.Name != ri.Columns[0] {
				t.Errorf("index %s on %s, LanceDB says %v", ix.Name, f.Name, ri.Columns)
			}
			for _, name := range filesOf[ri.IndexType] {
				p := filepath.Join(dir, filepath.FromSlash(ix.Dir()), name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := InferIndexType(ctx, store, m, ix)
			if err != nil || got != wantType[ri.IndexType] {
				t.Errorf("index %s: inferred %q (%v), LanceDB type %s", ix.Name, got, err, ri.IndexType)
			}
		}
	}
}

func TestFixtureInlineTransactions(t *testing.T) {
	ctx := context.Background()
	store := storage.NewLocal("testdata/v39")
	for v, op := range map[uint64]string{1: "Overwrite", 2: "Append", 4: "Delete", 8: "CreateIndex"} {
		m, err := LoadManifest(ctx, store, v)
		if err != nil {
			t.Fatal(err)
		}
		txn, err := m.DecodeTransaction()
		if err != nil || txn == nil {
			t.Fatalf("v%d: %v %v", v, txn, err)
		}
		// The oneof wrapper type is named *pb.Transaction_<Operation>_.
		got := strings.TrimSuffix(strings.TrimPrefix(typeName(txn.GetOperation()), "*pb.Transaction_"), "_")
		if got != op || txn.GetReadVersion() != v-1 {
			t.Errorf("v%d: operation %s read_version %d, want %s %d", v, got, txn.GetReadVersion(), op, v-1)
		}
	}
	m, err := LoadManifest(ctx, storage.NewLocal("testdata/v13"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if txn, err := m.DecodeTransaction(); txn != nil || err != nil {
		t.Errorf("LanceDB 0.13 manifests carry no inline transaction: %v %v", txn, err)
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
