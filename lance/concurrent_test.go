package lance

import (
	"context"
	"sync"
	"testing"
)

// TestConcurrentUse runs scans, takes and searches of one Dataset (and a
// checkout sharing its files) from several goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	old, err := ds.Checkout(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	want, err := ds.Search(context.Background(), SearchOptions{Query: fx.Queries[1], K: 5, Columns: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := 0; i < 5; i++ {
				got, err := ds.Search(ctx, SearchOptions{Query: fx.Queries[1], K: 5, Columns: []string{"id"}})
				if err != nil {
					t.Error(err)
					return
				}
				for r := 0; r < 5; r++ {
					if got.Column(0).ValueStr(r) != want.Column(0).ValueStr(r) {
						t.Errorf("concurrent search result %d = %s, want %s", r, got.Column(0).ValueStr(r), want.Column(0).ValueStr(r))
					}
				}
				n := 0
				for rec, err := range old.Scan(ctx, ScanOptions{BatchSize: 50}) {
					if err != nil {
						t.Error(err)
						return
					}
					n += int(rec.NumRows())
				}
				if int64(n) != fx.Versions[3].Count {
					t.Errorf("concurrent scan of v4: %d rows, want %d", n, fx.Versions[3].Count)
				}
				if _, err := ds.Take(ctx, []uint64{1, 2, 1<<32 | 5}, nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}
