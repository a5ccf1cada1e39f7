package resona

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestSearch(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	if rs, err := s.Search(ctx, "anything", 5); err != nil || len(rs) != 0 {
		t.Fatalf("empty table: %v %v", rs, err)
	}
	embedInBatches(t, s, 0, 64, 64)
	query := items(17, 1)[0].Text
	rs, err := s.Search(ctx, query, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 5 || rs[0].ID != "node-00017" {
		t.Fatalf("%+v", rs)
	}
	// Distances are squared L2 (LanceDB's default), similarity 1 − distance.
	want, err := s.p.Embed(ctx, []string{query})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetEmbedding(ctx, "node-00017")
	if err != nil {
		t.Fatal(err)
	}
	var d float64
	for i := range want[0] {
		x := float64(want[0][i] - got.Vector[i])
		d += x * x
	}
	if math.Abs(rs[0].Distance-d) > 1e-5 || rs[0].Similarity != 1-rs[0].Distance {
		t.Fatalf("distance %v want %v, similarity %v", rs[0].Distance, d, rs[0].Similarity)
	}
	if rs[0].Metadata["n"] != float64(17) || !strings.Contains(rs[0].ContextText, "note 17") {
		t.Fatalf("%+v", rs[0])
	}
	for i := 1; i < len(rs); i++ {
		if rs[i].Similarity > rs[i-1].Similarity {
			t.Fatal("not sorted")
		}
	}
	if _, err := s.SearchVector(ctx, make([]float32, testDim+1), 3); err == nil {
		t.Fatal("wrong dimension accepted")
	}
}

// Chunk hits collapse to their item, and k distinct items are returned
// even when one item's chunks fill the first candidates.
func TestSearchCollapsesChunks(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	var long strings.Builder
	for i := range 60 {
		fmt.Fprintf(&long, "quantum chromodynamics lecture part %d. ", i)
	}
	in := []Item{{ID: "physics", Text: long.String()}}
	for i := range 8 {
		in = append(in, Item{ID: fmt.Sprintf("other-%d", i), Text: topics[i] + " diary"})
	}
	res, err := s.EmbedBatch(ctx, in, BatchOptions{ChunkSize: 100, ChunkOverlap: 10})
	if err != nil || res.Errors != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if res.Stored < 25 {
		t.Fatalf("stored %d rows; want many chunks", res.Stored)
	}
	rs, err := s.Search(ctx, "quantum chromodynamics lecture", 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 || rs[0].ID != "physics" {
		t.Fatalf("%+v", rs)
	}
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.ID] || strings.Contains(r.ID, "#") {
			t.Fatalf("duplicate or chunk id %q", r.ID)
		}
		seen[r.ID] = true
	}
}

func TestDeleteAndCleanup(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	in := items(0, 10)
	in[0].Text = strings.Repeat("long text ", 100)
	if _, err := s.EmbedBatch(ctx, in, BatchOptions{ChunkSize: 300}); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteByIDs(ctx, []string{"node-00000", "node-00001", "missing"})
	if err != nil || n < 4 {
		t.Fatalf("deleted %d rows, %v", n, err)
	}
	if err := s.Delete(ctx, "node-00002"); err != nil {
		t.Fatal(err)
	}
	removed, err := s.Cleanup(ctx, []string{"node-00003", "node-00004"})
	if err != nil || removed != 5 {
		t.Fatalf("cleanup removed %d, %v", removed, err)
	}
	var ids []string
	for id, err := range s.EmbeddedIDs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if strings.Join(ids, ",") != "node-00003,node-00004" {
		t.Fatalf("%v", ids)
	}
}

// Similarity is TypeScript Resona's 1 − squared L2 distance, not a cosine:
// for unit vectors it is 2·cos − 1, so the opposite vector scores −3.
func TestSimilarityIsOneMinusSquaredL2(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	embedInBatches(t, s, 0, 8, 8)
	e, err := s.GetEmbedding(ctx, "node-00003")
	if err != nil {
		t.Fatal(err)
	}
	var norm float64
	for _, x := range e.Vector {
		norm += float64(x) * float64(x)
	}
	if math.Abs(norm-1) > 1e-5 {
		t.Skipf("the local provider's vectors have squared norm %v, not 1", norm)
	}
	opposite := make([]float32, len(e.Vector))
	for i, x := range e.Vector {
		opposite[i] = -x
	}
	rs, err := s.SearchVector(ctx, opposite, 8)
	if err != nil {
		t.Fatal(err)
	}
	last := rs[len(rs)-1]
	if last.ID != "node-00003" || math.Abs(last.Distance-4) > 1e-4 || math.Abs(last.Similarity-(-3)) > 1e-4 {
		t.Fatalf("opposite vector: %+v", last)
	}
	for _, r := range rs {
		if r.Similarity != 1-r.Distance || r.Similarity < -3-1e-4 || r.Similarity > 1+1e-4 {
			t.Fatalf("%+v", r)
		}
	}
}
