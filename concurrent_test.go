package resona

import (
	"context"
	"sync"
	"testing"
)

// Calls from several goroutines are serialized; every write lands.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	embedInBatches(t, s, 0, 20, 20)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 2 {
		wg.Go(func() {
			for b := range 3 {
				if _, err := s.EmbedBatch(ctx, items(100+w*100+b*10, 10), BatchOptions{}); err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() {
			for range 5 {
				if _, err := s.Search(ctx, "vector databases", 3); err != nil {
					errs <- err
				}
				if _, err := s.GetDiagnostics(ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Items != 80 {
		t.Fatalf("%+v %v", st, err)
	}
}
