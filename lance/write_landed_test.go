package lance

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/storage"
)

// cancelAfterManifest cancels the writer's context right after a manifest
// is created, as a request deadline expiring at that moment would.
type cancelAfterManifest struct {
	storage.Store
	cancel context.CancelFunc
}

func (s cancelAfterManifest) PutIfNotExists(ctx context.Context, p string, data []byte) error {
	err := s.Store.PutIfNotExists(ctx, p, data)
	if err == nil && strings.HasPrefix(p, "_versions/") {
		s.cancel()
	}
	return err
}

// A write whose commit landed must never remove the files that commit
// names, even when the caller's context ends right after the manifest link.
// The commit is durable then, so the write reports success: an error
// would make a retrying caller add the rows twice.
func TestAppendCancelledAfterCommitKeepsData(t *testing.T) {
	path := tempTable(t)
	d := mustCreate(t, path, testDim, rowsFor("a", 0, 3, 0, testDim), CreateOptions{})
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.store = cancelAfterManifest{Store: d.store, cancel: cancel}
	nd, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, rowsFor("b", 0, 4, 0, testDim))})
	if err != nil {
		t.Fatalf("the append's manifest was linked, yet Append returned %v", err)
	}
	defer nd.Close()
	if nd.Version() != 2 {
		t.Fatalf("Append returned version %d, want 2", nd.Version())
	}
	latest, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer latest.Close()
	if latest.Version() != 2 {
		t.Fatalf("latest version %d, want 2 (the append's manifest was linked)", latest.Version())
	}
	n, err := latest.CountRows(context.Background())
	if err != nil {
		t.Fatalf("the committed version is unreadable: %v", err)
	}
	if n != 7 {
		t.Fatalf("%d rows, want 7", n)
	}
	got := tableContent(t, latest)
	if len(got) != 7 {
		t.Fatalf("scan returned %d rows, want 7", len(got))
	}
}
