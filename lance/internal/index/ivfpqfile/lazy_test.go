package ivfpqfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
	"github.com/resona-go/resona/lance/internal/storage"
)

// An index opened lazily answers every search as the index decoded whole,
// also when many searches load its partitions at once.
func TestOpenLazyMatchesDecode(t *testing.T) {
	ctx := context.Background()
	for _, m := range []linalg.Metric{linalg.MetricL2, linalg.MetricCosine, linalg.MetricDot} {
		for _, v := range []filewriter.Version{filewriter.Version2_0, filewriter.Version2_2} {
			t.Run(fmt.Sprintf("%v/%v", m, v), func(t *testing.T) {
				ix, vecs := testIndex(t, m, 1000, 16)
				dir := t.TempDir()
				st := storage.NewLocal(dir)
				if _, err := Write(ctx, st, "seg", ix, Options{Version: v}); err != nil {
					t.Fatal(err)
				}
				full, err := Read(ctx, st, "seg")
				if err != nil {
					t.Fatal(err)
				}
				lazy, err := OpenLazy(ctx, st, "seg")
				if err != nil {
					t.Fatal(err)
				}
				if lazy.Len() != full.Len() || lazy.NumPartitions() != full.NumPartitions() {
					t.Fatalf("lazy: %d rows in %d partitions, full %d in %d", lazy.Len(), lazy.NumPartitions(), full.Len(), full.NumPartitions())
				}
				var wg sync.WaitGroup
				errs := make(chan error, 40)
				for q := range 40 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						p := vector.SearchParams{K: 10, NProbes: 1 + q%4}
						query := vecs[q*16*7 : q*16*7+16]
						a, err := lazy.Search(ctx, query, p, nil)
						if err != nil {
							errs <- err
							return
						}
						b, err := full.Search(ctx, query, p, nil)
						if err != nil {
							errs <- err
							return
						}
						if fmt.Sprint(a) != fmt.Sprint(b) {
							errs <- fmt.Errorf("query %d: lazy %v, full %v", q, a, b)
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
			})
		}
	}
}

// A partition that cannot be read fails the search that probes it, and a
// later search reads it again.
func TestOpenLazyReadError(t *testing.T) {
	ctx := context.Background()
	ix, vecs := testIndex(t, linalg.MetricL2, 800, 16)
	dir := t.TempDir()
	st := storage.NewLocal(dir)
	if _, err := Write(ctx, st, "seg", ix, Options{Version: filewriter.Version2_0}); err != nil {
		t.Fatal(err)
	}
	lazy, err := OpenLazy(ctx, st, "seg")
	if err != nil {
		t.Fatal(err)
	}
	aux := filepath.Join(dir, "seg", AuxiliaryFileName)
	hidden := aux + ".hidden"
	if err := os.Rename(aux, hidden); err != nil {
		t.Fatal(err)
	}
	p := vector.SearchParams{K: 5, NProbes: 4}
	if _, err := lazy.Search(ctx, vecs[:16], p, nil); !errors.Is(err, lanceerr.ErrNotFound) {
		t.Fatalf("search without the file: %v, want ErrNotFound", err)
	}
	if err := os.Rename(hidden, aux); err != nil {
		t.Fatal(err)
	}
	if res, err := lazy.Search(ctx, vecs[:16], p, nil); err != nil || len(res) != 5 {
		t.Fatalf("search once the file is back: %v, %v", res, err)
	}
}
