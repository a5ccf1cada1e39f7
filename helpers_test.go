package resona

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/resona-go/resona/provider"
)

// testDim keeps test tables small; the local provider takes any size.
const testDim = 32

func localProvider(t testing.TB, dim int) *provider.Local {
	t.Helper()
	p, err := provider.NewLocal(provider.LocalConfig{Dimensions: dim})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newService(t testing.TB, dir string, opts Options) *EmbeddingService {
	t.Helper()
	s, err := New(context.Background(), localProvider(t, testDim), filepath.Join(dir, "test.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var topics = []string{"cooking pasta", "vector databases", "garden tomatoes", "mountain hiking",
	"tax returns", "piano practice", "rust compiler", "coffee brewing"}

func items(from, n int) []Item {
	out := make([]Item, n)
	for i := range out {
		k := from + i
		out[i] = Item{
			ID:       fmt.Sprintf("node-%05d", k),
			Text:     fmt.Sprintf("note %d about %s and %s", k, topics[k%len(topics)], topics[(k/8)%len(topics)]),
			Metadata: map[string]any{"n": float64(k)},
		}
	}
	return out
}

// embedInBatches embeds n items in batches of size, one write each.
func embedInBatches(t testing.TB, s *EmbeddingService, from, n, size int) {
	t.Helper()
	for off := 0; off < n; off += size {
		res, err := s.EmbedBatch(context.Background(), items(from+off, min(size, n-off)), BatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors != 0 {
			t.Fatalf("errors: %+v", res.ErrorSamples)
		}
	}
}
