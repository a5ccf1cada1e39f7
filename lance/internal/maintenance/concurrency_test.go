package maintenance_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/maintenance"
)

// An append committed while the compaction runs is rebased over: both
// land, with every row.
func TestCompactRebasesOverConcurrentAppend(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV2, 50)
	once := false
	var logs bytes.Buffer
	met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Commit: commit.Options{Failpoint: func(name string) error {
			if name == commit.FailBeforeManifestLink && !once {
				once = true
				tb.appendRows(50, 10)
			}
			return nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := tb.latest()
	if met.Version != m.Version || m.Version != 7 || len(m.Fragments) != 2 {
		t.Errorf("version %d (compaction %d), %d fragments", m.Version, met.Version, len(m.Fragments))
	}
	checkRows(t, tb.dir, 0, idsWhere(60, all))
	for _, want := range []string{"compaction planned", "compaction: file written", "compaction committed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("debug log lacks %q:\n%s", want, logs.String())
		}
	}
}

// A delete of a fragment being compacted wins: the compaction fails with a
// retryable conflict and removes the files it wrote.
func TestCompactConflictsWithConcurrentDelete(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV1, 50)
	filesBefore := len(listFiles(t, tb.dir))
	_, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{
		Commit: commit.Options{Failpoint: func(name string) error {
			if name == commit.FailAfterDataWrite {
				tb.deleteWhere(func(id int64) bool { return id == 3 })
			}
			return nil
		}},
	})
	if !errors.Is(err, lanceerr.ErrCommitConflict) {
		t.Fatalf("err %v, want a commit conflict", err)
	}
	// The delete added a deletion file, a manifest and a transaction.
	if got := len(listFiles(t, tb.dir)); got != filesBefore+3 {
		t.Errorf("%d files, want %d: the compaction left files behind:\n%v", got, filesBefore+3, listFiles(t, tb.dir))
	}
	checkRows(t, tb.dir, 0, idsWhere(50, func(id int64) bool { return id != 3 }))
	if _, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	checkRows(t, tb.dir, 0, idsWhere(50, func(id int64) bool { return id != 3 }))
}
