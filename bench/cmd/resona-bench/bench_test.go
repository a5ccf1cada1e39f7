package main

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

func TestTopDotOrdersByDotProduct(t *testing.T) {
	// Four 2-d rows; the query (1, 0) ranks them by their first value.
	vecs := []float32{0.1, 0.9, 0.8, 0.2, -1, 0, 0.5, 0.5}
	got := topDot(vecs, []float32{1, 0}, 2, 4, 3)
	want := []string{"node_1", "node_3", "node_0"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("topDot = %v, want %v", got, want)
	}
}

func TestGroundTruthMatchesTopDotPerQuery(t *testing.T) {
	vecs := []float32{1, 0, 0, 1, 0.6, 0.8}
	queries := []float32{0, 1, 1, 0}
	got := groundTruth(vecs, queries, 2, 3, 2, 1)
	want := [][]string{{"node_1"}, {"node_0"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("groundTruth = %v, want %v", got, want)
	}
}

// The rows must hold the values bench.mjs writes for LanceDB, so that both
// engines store the same table.
func TestRowBatchValues(t *testing.T) {
	const dim = 2
	vecs := []float32{0, 1, 2, 3, 4, 5, 6, 7}
	rec := rowBatch(resonaSchema(dim), vecs, dim, 2, 2)
	defer rec.Release()
	if rec.NumRows() != 2 {
		t.Fatalf("rows = %d", rec.NumRows())
	}
	ids := rec.Column(0).(*array.String)
	hashes := rec.Column(1).(*array.String)
	texts := rec.Column(2).(*array.String)
	if ids.Value(0) != "node_2" || ids.Value(1) != "node_3" {
		t.Errorf("ids = %q, %q", ids.Value(0), ids.Value(1))
	}
	if h := hashes.Value(0); h != "h2"+strings.Repeat("0", 62) {
		t.Errorf("text_hash = %q", h)
	}
	if x := texts.Value(1); x != "Context text for node 3: a short note about topic 3." {
		t.Errorf("context_text = %q", x)
	}
	if d := rec.Column(4).(*array.Float64).Value(0); d != dim {
		t.Errorf("dimensions = %v", d)
	}
	if ts := rec.Column(6).(*array.Float64).Value(1); ts != 1.7e12+3 {
		t.Errorf("created_at = %v", ts)
	}
	v := rec.Column(8).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
	if !reflect.DeepEqual(v, []float32{4, 5, 6, 7}) {
		t.Errorf("vectors = %v", v)
	}
}

func TestVectorProviderEmbedsRowsByName(t *testing.T) {
	vecs := []float32{1, 2, 3, 4, 5, 6}
	p := vectorProvider{vecs: vecs, dim: 2}
	got, err := p.Embed(context.Background(), []string{"node_2", "node_0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0][0] != 5 || got[0][1] != 6 || got[1][0] != 1 || got[1][1] != 2 {
		t.Fatalf("Embed = %v, want [[5 6] [1 2]]", got)
	}
	got[0][0] = 42
	if vecs[4] != 5 {
		t.Fatal("Embed returned a view of the source vectors, not a copy")
	}
	for _, bad := range []string{"node_3", "node_-1", "other"} {
		if _, err := p.Embed(context.Background(), []string{bad}); err == nil {
			t.Errorf("Embed(%q): no error", bad)
		}
	}
}
