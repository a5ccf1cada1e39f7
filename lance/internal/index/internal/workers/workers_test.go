package workers

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestRangeCoversEveryIndexOnce(t *testing.T) {
	for _, tc := range []struct{ n, grain, w int }{{0, 1, 2}, {1, 5, 2}, {100, 7, 3}, {1000, 1, 1}, {64, 64, 0}} {
		hits := make([]atomic.Int32, tc.n)
		if err := Range(context.Background(), tc.n, tc.grain, tc.w, func(lo, hi int) {
			if hi-lo > max(tc.grain, 1) {
				t.Errorf("chunk [%d,%d) exceeds grain %d", lo, hi, tc.grain)
			}
			for i := lo; i < hi; i++ {
				hits[i].Add(1)
			}
		}); err != nil {
			t.Fatal(err)
		}
		for i := range hits {
			if hits[i].Load() != 1 {
				t.Fatalf("%+v: index %d visited %d times", tc, i, hits[i].Load())
			}
		}
	}
}

func TestRangeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var chunks atomic.Int32
	err := Range(ctx, 1000, 1, 2, func(lo, hi int) {
		if chunks.Add(1) == 10 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if c := chunks.Load(); c > 12 {
		t.Fatalf("%d chunks ran after cancelling at the 10th", c)
	}
}
