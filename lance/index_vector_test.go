package lance

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/expr"
)

// clusteredRows returns n rows whose vectors lie around 16 random centres,
// the shape of real embeddings that IVF_PQ is made for.
func clusteredRows(prefix string, n, dim int, seed uint64) []resonaRow {
	r := rand.New(rand.NewPCG(seed, 99))
	centres := make([][]float32, 16)
	cr := rand.New(rand.NewPCG(1, 1)) // the same centres for every batch
	for i := range centres {
		centres[i] = make([]float32, dim)
		for d := range centres[i] {
			centres[i][d] = cr.Float32()*2 - 1
		}
	}
	rows := make([]resonaRow, n)
	for i := range rows {
		c := centres[r.IntN(len(centres))]
		v := make([]float32, dim)
		for d := range v {
			v[d] = c[d] + float32(r.NormFloat64())*0.15
		}
		rows[i] = resonaRow{ID: fmt.Sprintf("%s%d", prefix, i), Vector: v, Created: 1.7e12}
	}
	return rows
}

func searchIDs(t *testing.T, d *Dataset, opts SearchOptions) ([]string, []float32) {
	t.Helper()
	rec, err := d.Search(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	idCol := -1
	for i, f := range rec.Schema().Fields() {
		if f.Name == "id" {
			idCol = i
		}
	}
	ids := rec.Column(idCol).(*array.String)
	dist := rec.Column(int(rec.NumCols()) - 1).(*array.Float32)
	var out []string
	for i := 0; i < ids.Len(); i++ {
		out = append(out, ids.Value(i))
	}
	return out, dist.Float32Values()
}

func recallOf(got, want []string) float64 {
	set := map[string]bool{}
	for _, w := range want {
		set[w] = true
	}
	hit := 0
	for _, g := range got {
		if set[g] {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}

// TestVectorIndexEndToEnd builds an IVF_PQ index over three fragments,
// checks its statistics and recall against exact search, then appends and
// deletes rows and expects searches to cover the new rows exactly, never
// return deleted ones, and honour a filter before choosing the K best.
func TestVectorIndexEndToEnd(t *testing.T) {
	ctx := context.Background()
	const dim = 32
	for _, metric := range []Metric{MetricL2, MetricCosine, MetricDot} {
		t.Run(string(metric), func(t *testing.T) {
			path := tempTable(t)
			var rows []resonaRow
			for b := range 3 {
				rows = append(rows, clusteredRows(fmt.Sprintf("f%d-", b), 1500, dim, uint64(b+10))...)
			}
			d := mustCreate(t, path, dim, rows[:1500], CreateOptions{})
			for b := 1; b < 3; b++ {
				nd, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, rows[b*1500:(b+1)*1500])})
				if err != nil {
					t.Fatal(err)
				}
				d.Close()
				d = nd
			}
			var events int
			nd, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, Metric: metric,
				NumPartitions: 8, NumSubVectors: 8, Progress: func(ProgressEvent) { events++ }})
			if err != nil {
				t.Fatal(err)
			}
			d.Close()
			d = nd
			defer func() { d.Close() }()
			if events == 0 {
				t.Error("no progress events")
			}
			st, err := d.IndexStatistics(ctx, "vector_idx")
			if err != nil {
				t.Fatal(err)
			}
			if st.Type != IndexIVFPQ || st.IndexedRows != 4500 || st.UnindexedRows != 0 || st.Segments != 1 || st.Metric != metric {
				t.Fatalf("statistics %+v", st)
			}

			// Recall against exact search, and the same result columns.
			var recall float64
			const queries = 40
			for q := range queries {
				query := rows[q*97].Vector
				opts := SearchOptions{Query: query, K: 10}
				got, _ := searchIDs(t, d, opts)
				opts.BypassVectorIndex, opts.Metric = true, metric
				want, _ := searchIDs(t, d, opts)
				recall += recallOf(got, want)
			}
			recall /= queries
			t.Logf("%s recall@10 %.3f", metric, recall)
			if recall < 0.95 {
				t.Errorf("recall@10 %.3f", recall)
			}
			a, err := d.Search(ctx, SearchOptions{Query: rows[0].Vector, WithRowAddress: true})
			if err != nil {
				t.Fatal(err)
			}
			b, err := d.Search(ctx, SearchOptions{Query: rows[0].Vector, WithRowAddress: true, BypassVectorIndex: true, Metric: metric})
			if err != nil {
				t.Fatal(err)
			}
			if !a.Schema().Equal(b.Schema()) {
				t.Errorf("indexed schema %v, flat %v", a.Schema(), b.Schema())
			}
			a.Release()
			b.Release()

			// New rows are unindexed yet found.
			extra := clusteredRows("new-", 200, dim, 77)
			nd, err = d.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, extra)})
			if err != nil {
				t.Fatal(err)
			}
			d.Close()
			d = nd
			st, _ = d.IndexStatistics(ctx, "vector_idx")
			if st.UnindexedRows != 200 || st.IndexedRows != 4500 {
				t.Fatalf("after append: %+v", st)
			}
			got, _ := searchIDs(t, d, SearchOptions{Query: extra[5].Vector, K: 3})
			if len(got) == 0 || got[0] != "new-5" {
				t.Errorf("query of an unindexed row: %v", got)
			}

			// Deleted rows never come back.
			target := rows[2000]
			nd, _, err = d.Delete(ctx, expr.Col("id").Eq(target.ID))
			if err != nil {
				t.Fatal(err)
			}
			d.Close()
			d = nd
			got, _ = searchIDs(t, d, SearchOptions{Query: target.Vector, K: 5})
			for _, id := range got {
				if id == target.ID {
					t.Errorf("deleted row %s returned", id)
				}
			}
			if len(got) != 5 {
				t.Errorf("%d results after delete", len(got))
			}

			// A selective filter still yields K rows (prefilter).
			var ids []any
			for i := 0; i < 1500; i += 50 {
				ids = append(ids, rows[i].ID)
			}
			f := expr.Col("id").In(ids...)
			got, _ = searchIDs(t, d, SearchOptions{Query: rows[3000].Vector, K: 10, Filter: f})
			want, _ := searchIDs(t, d, SearchOptions{Query: rows[3000].Vector, K: 10, Filter: f, BypassVectorIndex: true, Metric: metric})
			if len(got) != 10 {
				t.Fatalf("filtered search returned %d rows", len(got))
			}
			if r := recallOf(got, want); r < 0.9 {
				t.Errorf("filtered recall %.2f: %v vs %v", r, got, want)
			}
		})
	}
}

// TestCreateVectorIndexCancelled expects a cancelled build to commit
// nothing and leave no index files behind.
func TestCreateVectorIndexCancelled(t *testing.T) {
	path := tempTable(t)
	d := mustCreate(t, path, 16, clusteredRows("r", 2000, 16, 1), CreateOptions{})
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, NumPartitions: 4, NumSubVectors: 4,
		Progress: func(e ProgressEvent) {
			if e.Step == ProgressVectorIVF {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	latest, err := d.CheckoutLatest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer latest.Close()
	if latest.Version() != d.Version() || len(latest.Indexes()) != 0 {
		t.Fatalf("version %d with %d indexes after a cancelled build", latest.Version(), len(latest.Indexes()))
	}
	ents, _ := os.ReadDir(filepath.Join(path, "_indices"))
	for _, e := range ents {
		files, _ := os.ReadDir(filepath.Join(path, "_indices", e.Name()))
		if len(files) > 0 {
			t.Errorf("index files left in %s", e.Name())
		}
	}
}

// TestCompactRemapsVectorIndex compacts small indexed fragments with
// deletions: the bins must not be skipped, the index must follow the rows
// to their new addresses (same answers as before, deleted rows gone from
// the segment) and cover every live row.
func TestCompactRemapsVectorIndex(t *testing.T) {
	ctx := context.Background()
	const dim = 16
	path := tempTable(t)
	rows := clusteredRows("r", 1800, dim, 3)
	d := mustCreate(t, path, dim, rows[:300], CreateOptions{})
	for b := 1; b < 6; b++ {
		nd, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, rows[b*300:(b+1)*300])})
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		d = nd
	}
	nd, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, NumPartitions: 4, NumSubVectors: 4})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = nd
	var gone []any
	for i := 0; i < 1800; i += 7 {
		gone = append(gone, rows[i].ID)
	}
	nd, _, err = d.Delete(ctx, expr.Col("id").In(gone...))
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = nd
	before := map[int][]string{}
	for q := 0; q < 20; q++ {
		before[q], _ = searchIDs(t, d, SearchOptions{Query: rows[q*41+1].Vector, K: 10})
	}
	nd, met, err := d.Compact(ctx, CompactionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = nd
	defer func() { d.Close() }()
	if len(met.Skipped) != 0 || met.Bins == 0 {
		t.Fatalf("compaction metrics %+v", met)
	}
	st, err := d.IndexStatistics(ctx, "vector_idx")
	if err != nil {
		t.Fatal(err)
	}
	live := uint64(1800 - len(gone))
	if st.IndexedRows != live || st.UnindexedRows != 0 {
		t.Fatalf("after compaction: %+v, want %d indexed", st, live)
	}
	segs, err := d.vectorSegments(ctx, d.m.Indexes[0].Fields[0])
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v (%v)", segs, err)
	}
	ix, err := d.loadSegment(ctx, segs[0])
	if err != nil {
		t.Fatal(err)
	}
	if uint64(ix.Len()) != live {
		t.Errorf("remapped segment holds %d rows, want %d", ix.Len(), live)
	}
	for q := 0; q < 20; q++ {
		after, _ := searchIDs(t, d, SearchOptions{Query: rows[q*41+1].Vector, K: 10})
		if fmt.Sprint(after) != fmt.Sprint(before[q]) {
			t.Errorf("query %d: before %v, after %v", q, before[q], after)
		}
	}
}

// TestUpdateVectorIndexDelta appends rows, then a delta segment for them:
// statistics must show everything indexed in two segments, the delta must
// hold exactly the new rows, and search must keep its recall. Rebuild then
// folds the segments into one.
func TestUpdateVectorIndexDelta(t *testing.T) {
	ctx := context.Background()
	const dim = 16
	path := tempTable(t)
	rows := clusteredRows("r", 3000, dim, 5)
	d := mustCreate(t, path, dim, rows[:2000], CreateOptions{})
	nd, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, Metric: MetricCosine, NumPartitions: 6, NumSubVectors: 4})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	nd2, err := nd.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, rows[2000:])})
	nd.Close()
	if err != nil {
		t.Fatal(err)
	}
	d, err = nd2.UpdateIndex(ctx, "vector_idx", UpdateIndexOptions{})
	nd2.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Close() }()
	st, err := d.IndexStatistics(ctx, "vector_idx")
	if err != nil {
		t.Fatal(err)
	}
	if st.Segments != 2 || st.IndexedRows != 3000 || st.UnindexedRows != 0 {
		t.Fatalf("after delta: %+v", st)
	}
	segs, _ := d.vectorSegments(ctx, d.m.Indexes[0].Fields[0])
	delta, err := d.loadSegment(ctx, segs[1])
	if err != nil {
		t.Fatal(err)
	}
	if delta.Len() != 1000 {
		t.Errorf("delta holds %d rows, want 1000", delta.Len())
	}
	var recall float64
	for q := range 30 {
		query := rows[2000+q*31].Vector
		got, _ := searchIDs(t, d, SearchOptions{Query: query, K: 10})
		want, _ := searchIDs(t, d, SearchOptions{Query: query, K: 10, BypassVectorIndex: true, Metric: MetricCosine})
		recall += recallOf(got, want)
	}
	if recall /= 30; recall < 0.95 {
		t.Errorf("recall@10 with a delta %.3f", recall)
	}
	nd, err = d.UpdateIndex(ctx, "vector_idx", UpdateIndexOptions{Rebuild: true})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = nd
	if st, _ = d.IndexStatistics(ctx, "vector_idx"); st.Segments != 1 || st.IndexedRows != 3000 {
		t.Fatalf("after rebuild: %+v", st)
	}
}

// TestVectorSearchConcurrent searches one Dataset from several goroutines
// (the first searches load the index together) and expects every answer
// to equal a sequential one.
func TestVectorSearchConcurrent(t *testing.T) {
	ctx := context.Background()
	const dim = 16
	rows := clusteredRows("r", 1500, dim, 9)
	d := mustCreate(t, tempTable(t), dim, rows, CreateOptions{})
	nd, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, NumPartitions: 4, NumSubVectors: 4})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	nd2, _, err := nd.Delete(ctx, expr.Col("id").In(rows[1].ID, rows[2].ID))
	nd.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer nd2.Close()
	fresh, err := nd2.Checkout(ctx, nd2.Version())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	errs := make(chan error, 8)
	got := make([]string, 8)
	for g := range 8 {
		go func() {
			rec, err := fresh.Search(ctx, SearchOptions{Query: rows[g].Vector, K: 5, Columns: []string{"id"}})
			if err == nil {
				got[g] = fmt.Sprint(rec.Column(0))
				rec.Release()
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for g := range 8 {
		rec, err := nd2.Search(ctx, SearchOptions{Query: rows[g].Vector, K: 5, Columns: []string{"id"}})
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint(rec.Column(0)); got[g] != want {
			t.Errorf("query %d: concurrent %s, sequential %s", g, got[g], want)
		}
		rec.Release()
	}
	// A query metric other than the index's searches exactly.
	rec, err := nd2.Search(ctx, SearchOptions{Query: rows[3].Vector, K: 5, Metric: MetricCosine, Columns: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	flat, err := nd2.Search(ctx, SearchOptions{Query: rows[3].Vector, K: 5, Metric: MetricCosine, Columns: []string{"id"}, BypassVectorIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rec.Column(0), rec.Column(1)) != fmt.Sprint(flat.Column(0), flat.Column(1)) {
		t.Errorf("cosine query on an l2 index: %v, exact %v", rec.Column(0), flat.Column(0))
	}
	rec.Release()
	flat.Release()
}

// embeddingRows imitates embeddings: n/10 topics, each a random direction,
// and every row a topic plus a smaller personal offset, so that each row
// has a few close neighbours and the rest are far.
func embeddingRows(n, dim int, seed uint64) []resonaRow {
	r := rand.New(rand.NewPCG(seed, 5))
	topics := make([][]float32, max(n/10, 1))
	for i := range topics {
		topics[i] = make([]float32, dim)
		for d := range topics[i] {
			topics[i][d] = float32(r.NormFloat64())
		}
	}
	rows := make([]resonaRow, n)
	for i := range rows {
		c := topics[r.IntN(len(topics))]
		v := make([]float32, dim)
		for d := range v {
			v[d] = c[d] + float32(r.NormFloat64())*0.3
		}
		rows[i] = resonaRow{ID: fmt.Sprintf("e%d", i), Vector: v, Created: 1.7e12}
	}
	return rows
}

// TestVectorIndexRecallDefaults builds with every parameter at its default
// and searches with the default probes and refine factor; recall@10
// against exact search must reach 0.95 for each metric.
func TestVectorIndexRecallDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three indexes")
	}
	ctx := context.Background()
	const dim, n = 64, 8000
	rows := embeddingRows(n, dim, 21)
	for _, metric := range []Metric{MetricL2, MetricCosine, MetricDot} {
		t.Run(string(metric), func(t *testing.T) {
			d := mustCreate(t, tempTable(t), dim, rows, CreateOptions{})
			defer d.Close()
			nd, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, Metric: metric})
			if err != nil {
				t.Fatal(err)
			}
			defer nd.Close()
			var recall float64
			const queries = 50
			for q := range queries {
				query := rows[q*157].Vector
				got, _ := searchIDs(t, nd, SearchOptions{Query: query})
				want, _ := searchIDs(t, nd, SearchOptions{Query: query, BypassVectorIndex: true, Metric: metric})
				recall += recallOf(got, want)
			}
			recall /= queries
			t.Logf("%s: recall@10 %.3f with defaults", metric, recall)
			if recall < 0.95 {
				t.Errorf("recall@10 %.3f", recall)
			}
		})
	}
}

// TestVectorSearchCorruptIndex damages auxiliary.idx: an indexed search is
// then ErrCorrupt (never a silently exact answer or a panic), and
// BypassVectorIndex still searches.
func TestVectorSearchCorruptIndex(t *testing.T) {
	ctx := context.Background()
	const dim = 8
	path := tempTable(t)
	rows := clusteredRows("r", 600, dim, 4)
	d := mustCreate(t, path, dim, rows, CreateOptions{})
	nd, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, NumPartitions: 2, NumSubVectors: 2})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer nd.Close()
	aux := filepath.Join(path, "_indices", nd.m.Indexes[0].UUID, "auxiliary.idx")
	b, err := os.ReadFile(aux)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) - 40; i < len(b)-8; i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(aux, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// The session that built the index searches its copy in memory; a new
	// one reads the files.
	if _, err := nd.Search(ctx, SearchOptions{Query: rows[0].Vector}); err != nil {
		t.Errorf("search in the building session: %v", err)
	}
	fresh, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := fresh.Search(ctx, SearchOptions{Query: rows[0].Vector}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("search over a corrupt index: %v, want ErrCorrupt", err)
	}
	if _, err := fresh.Search(ctx, SearchOptions{Query: rows[0].Vector, BypassVectorIndex: true}); err != nil {
		t.Errorf("bypassing the corrupt index: %v", err)
	}
}

// Index segments are immutable, so the versions a session reads after
// commits share the loaded segment; a segment the newest version dropped
// leaves the cache.
func TestVectorSegmentsSharedAcrossVersions(t *testing.T) {
	ctx := context.Background()
	const dim = 16
	path := tempTable(t)
	rows := clusteredRows("r", 1200, dim, 5)
	d0 := mustCreate(t, path, dim, rows[:1000], CreateOptions{})
	defer d0.Close()
	d1, err := d0.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, Metric: MetricCosine, NumPartitions: 4, NumSubVectors: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	seg := &d1.m.Indexes[0]
	first, err := d1.loadSegment(ctx, seg)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := d1.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, rows[1000:])})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	again, err := d2.loadSegment(ctx, &d2.m.Indexes[0])
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Error("the next version loaded the unchanged segment again")
	}
	// A fresh session reads its own copy.
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if ix, err := other.loadSegment(ctx, &other.m.Indexes[0]); err != nil || ix == first {
		t.Errorf("another session shares the segment (%v)", err)
	}
	d3, err := d2.UpdateIndex(ctx, "vector_idx", UpdateIndexOptions{Rebuild: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d3.Close()
	d3.files.segMu.Lock()
	_, kept := d3.files.segs[seg.UUID]
	d3.files.segMu.Unlock()
	if kept {
		t.Error("the replaced segment stayed cached")
	}
	if got, _ := searchIDs(t, d3, SearchOptions{Query: rows[1100].Vector, K: 1}); len(got) != 1 || got[0] != rows[1100].ID {
		t.Errorf("search after the rebuild: %v", got)
	}
}

// The session that builds an index searches the copy it built; a session
// that reads the files must answer the same.
func TestBuiltIndexMatchesReadIndex(t *testing.T) {
	ctx := context.Background()
	const dim = 32
	path := tempTable(t)
	rows := clusteredRows("r", 2000, dim, 6)
	d := mustCreate(t, path, dim, rows, CreateOptions{})
	built, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, Metric: MetricCosine, NumPartitions: 8, NumSubVectors: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	read, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer read.Close()
	for q := range 25 {
		opts := SearchOptions{Query: rows[q*79].Vector, K: 10, NProbes: 3, RefineFactor: -1, Columns: []string{"id"}}
		a, b := searchRows(t, built, opts), searchRows(t, read, opts)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("query %d: built index %v, read index %v", q, a, b)
		}
	}
}
