package resona

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestEmbedBatchChangeDetection(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	res, err := s.EmbedBatch(ctx, items(0, 50), BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != 50 || res.Skipped != 0 || res.Stored != 50 {
		t.Fatalf("first run: %+v", res)
	}
	// Unchanged items are skipped; changed ones replaced in place.
	in := items(0, 50)
	in[3].Text = "a completely different text about sailing"
	in[7].ContextText = "context overrides text"
	res, err = s.EmbedBatch(ctx, in, BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != 2 || res.Skipped != 48 {
		t.Fatalf("second run: %+v", res)
	}
	got, err := s.GetEmbedding(ctx, "node-00007")
	if err != nil {
		t.Fatal(err)
	}
	if got.ContextText != "context overrides text" || got.TextHash != hashText("context overrides text") {
		t.Fatalf("stored %+v", got)
	}
	if got.Metadata["n"] != float64(7) || got.Model != "resona-local-hash-v1" || got.Dimensions != testDim {
		t.Fatalf("stored %+v", got)
	}
	// No duplicate rows after the update.
	n, err := s.ds.CountRows(ctx)
	if err != nil || n != 50 {
		t.Fatalf("rows %d, %v", n, err)
	}
	res, err = s.EmbedBatch(ctx, in, BatchOptions{ForceAll: true})
	if err != nil || res.Processed != 50 || res.Skipped != 0 {
		t.Fatalf("force: %+v %v", res, err)
	}
	if n, _ := s.ds.CountRows(ctx); n != 50 {
		t.Fatalf("rows after ForceAll %d", n)
	}
}

// The stored hash is TypeScript Resona's: sha256 hex of the embedded text.
func TestHashMatchesTypeScript(t *testing.T) {
	// sha256("hello") as computed by Bun.CryptoHasher / any sha256 tool.
	if got := hashText("hello"); got != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatal(got)
	}
	if embeddedText(Item{Text: "a", ContextText: ""}) != "a" || embeddedText(Item{Text: "a", ContextText: "b"}) != "b" {
		t.Fatal("embedded text")
	}
}

func TestChunking(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	long := strings.Repeat("alpha beta gamma delta ", 40) // 920 chars
	res, err := s.EmbedBatch(ctx, []Item{{ID: "long", Text: long}, {ID: "short", Text: "short text"}},
		BatchOptions{ChunkSize: 300, ChunkOverlap: 50})
	if err != nil || res.Processed != 2 || res.Errors != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	want := chunkText(long, 300, 50)
	if len(want) != 4 || res.Stored != 5 {
		t.Fatalf("chunks %d stored %d", len(want), res.Stored)
	}
	for i, c := range want {
		e, err := s.GetEmbedding(ctx, "long#"+string(rune('0'+i)))
		if err != nil {
			t.Fatal(err)
		}
		if e.ContextText != c || e.TextHash != hashText(long) {
			t.Fatalf("chunk %d", i)
		}
	}
	var ids []string
	for id, err := range s.EmbeddedIDs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if strings.Join(ids, ",") != "long,short" {
		t.Fatalf("ids %v", ids)
	}
	// A shorter text replaces the chunks: old chunk rows are removed.
	res, err = s.EmbedBatch(ctx, []Item{{ID: "long", Text: long[:400]}}, BatchOptions{ChunkSize: 300, ChunkOverlap: 50})
	if err != nil || res.Processed != 1 || res.Removed != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	if n, _ := s.ds.CountRows(ctx); n != 3 {
		t.Fatalf("rows %d, want 2 chunks + short", n)
	}
	// Back to one chunk: stored under the plain id.
	if _, err := s.EmbedBatch(ctx, []Item{{ID: "long", Text: "now short"}}, BatchOptions{ChunkSize: 300}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetEmbedding(ctx, "long"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetEmbedding(ctx, "long#0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old chunk still there: %v", err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Rows != 2 || st.Items != 2 {
		t.Fatalf("%+v %v", st, err)
	}
}

func TestChunkText(t *testing.T) {
	for _, tc := range []struct {
		n, size, overlap, chunks int
	}{
		{10, 10, 2, 1}, {11, 10, 2, 2}, {20, 10, 2, 3}, {26, 10, 2, 3}, {27, 10, 2, 4}, {100, 30, 5, 4},
	} {
		text := strings.Repeat("é", tc.n) // multi-byte: chunks count characters
		got := chunkText(text, tc.size, tc.overlap)
		if len(got) != tc.chunks {
			t.Errorf("%+v: %d chunks", tc, len(got))
		}
		covered := 0
		for i, c := range got {
			r := []rune(c)
			if len(r) > tc.size {
				t.Errorf("%+v: chunk %d has %d chars", tc, i, len(r))
			}
			covered = i*(tc.size-tc.overlap) + len(r)
		}
		if covered != tc.n {
			t.Errorf("%+v: chunks cover %d of %d chars", tc, covered, tc.n)
		}
	}
}

func TestBadInputPerItem(t *testing.T) {
	ctx := context.Background()
	p := &faultyProvider{Local: localProvider(t, testDim)}
	s, err := New(ctx, p, t.TempDir()+"/x.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := []Item{
		{ID: "", Text: "no id"},
		{ID: "empty", Text: "  "},
		{ID: "chunky#3", Text: "reserved suffix"},
		{ID: "nan", Text: "this returns nan"},
		{ID: "short", Text: "this returns short"},
		{ID: "ok1", Text: "fine text one"},
		{ID: "ok1", Text: "duplicate"},
		{ID: "ok2", Text: "fine text two"},
	}
	res, err := s.EmbedBatch(ctx, in, BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Processed != 2 || res.Errors != 6 || len(res.ErrorSamples) != 6 {
		t.Fatalf("%+v", res)
	}
	wantErr := map[string]error{"": ErrInvalidItem, "empty": ErrInvalidItem, "chunky#3": ErrInvalidItem,
		"nan": ErrInvalidVector, "short": ErrDimensionMismatch, "ok1": ErrInvalidItem}
	for _, e := range res.ErrorSamples {
		if !errors.Is(e.Err, wantErr[e.ID]) {
			t.Errorf("%q: %v", e.ID, e.Err)
		}
	}
	var ids []string
	for id, err := range s.EmbeddedIDs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if strings.Join(ids, ",") != "ok1,ok2" {
		t.Fatalf("stored %v", ids)
	}
	if _, err := s.Embed(ctx, Item{ID: "nan2", Text: "nan again"}); !errors.Is(err, ErrInvalidVector) {
		t.Fatalf("Embed: %v", err)
	}
	if ok, err := s.Embed(ctx, Item{ID: "ok3", Text: "fine text three"}); !ok || err != nil {
		t.Fatalf("Embed: %v %v", ok, err)
	}
	if ok, err := s.Embed(ctx, Item{ID: "ok3", Text: "fine text three"}); ok || err != nil {
		t.Fatalf("Embed unchanged: %v %v", ok, err)
	}

}

func TestProgressAndBuffering(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	var reports []BatchProgress
	res, err := s.EmbedBatch(ctx, items(0, 300), BatchOptions{
		StoreBatchSize: 100,
		OnProgress:     func(p BatchProgress) { reports = append(reports, p) },
	})
	if err != nil || res.Processed != 300 || res.Stored != 300 {
		t.Fatalf("%+v %v", res, err)
	}
	if len(reports) < 2 {
		t.Fatalf("%d reports", len(reports))
	}
	last := reports[len(reports)-1]
	if last.Processed != 300 || last.Stored != 300 || last.BufferSize != 0 || last.Total != 300 || last.Rate <= 0 {
		t.Fatalf("last report %+v", last)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i].Processed < reports[i-1].Processed || reports[i].Stored < reports[i-1].Stored {
			t.Fatalf("progress went back: %+v → %+v", reports[i-1], reports[i])
		}
		if reports[i].BufferSize > 100+s.p.MaxBatchSize() {
			t.Fatalf("buffer grew to %d", reports[i].BufferSize)
		}
	}
	// One fragment per flush: the buffer is written once a provider batch
	// (256 texts for the local provider) takes it past 100 rows.
	d, err := s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Fragments != 2 {
		t.Fatalf("%d fragments", d.Fragments)
	}
}
