package maintenance_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/maintenance"
	"github.com/resona-go/resona/lance/internal/storage"
)

const (
	envCrashDir   = "RESONA_MAINT_CRASH_DIR"
	envCrashPoint = "RESONA_MAINT_CRASH_POINT"
	// midRewrite kills the compaction halfway through copying rows.
	midRewrite = "mid-rewrite"
)

// TestCompactCrashHelper is run by TestCompactCrash in a child process: it
// compacts the table and kills itself with SIGKILL at the named point.
func TestCompactCrashHelper(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("helper process only")
	}
	point := os.Getenv(envCrashPoint)
	die := func() {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	_, err := maintenance.Compact(context.Background(), storage.NewLocal(dir), maintenance.CompactOptions{
		BatchRows: 10,
		Progress: func(_ string, done, total uint64) {
			if point == midRewrite && done >= total/2 {
				die()
			}
		},
		Commit: commit.Options{Failpoint: func(name string) error {
			if name == point {
				die()
			}
			return nil
		}},
	})
	t.Fatalf("compaction survived %s: %v", point, err)
}

// A compaction killed at any point leaves a table whose latest version
// opens with every row; a later compaction and cleanup finish the job.
func TestCompactCrash(t *testing.T) {
	points := []string{midRewrite, commit.FailAfterDataWrite, commit.FailAfterTxnWrite,
		commit.FailBeforeManifestLink, commit.FailAfterManifestLink, commit.FailBeforeHint}
	for _, point := range points {
		t.Run(point, func(t *testing.T) {
			ctx := context.Background()
			tb := newFragmented(t, format.SchemeV2, 100)
			tb.deleteWhere(func(id int64) bool { return id%10 == 3 })
			want := idsWhere(100, func(id int64) bool { return id%10 != 3 })
			v := tb.latest().Version

			cmd := exec.Command(os.Args[0], "-test.run=^TestCompactCrashHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), envCrashDir+"="+tb.dir, envCrashPoint+"="+point)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("helper was not killed: %v\n%s", err, out)
			}
			if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("helper ended without SIGKILL: %v\n%s", err, out)
			}

			m := tb.latest()
			committed := point == commit.FailAfterManifestLink || point == commit.FailBeforeHint
			if committed != (m.Version == v+1) {
				t.Errorf("latest version %d after a crash at %s (before: %d)", m.Version, point, v)
			}
			checkRows(t, tb.dir, 0, want)
			checkRows(t, tb.dir, v, want)

			met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if committed != (met.Version == 0) {
				t.Errorf("compaction after the crash: %+v", met)
			}
			checkRows(t, tb.dir, 0, want)
			// Leftovers of the killed writer are unreferenced: kept while
			// young, removed once older than the unverified age.
			ageFiles(t, tb.dir, 8*24*time.Hour)
			if _, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now()}); err != nil {
				t.Fatal(err)
			}
			checkRows(t, tb.dir, 0, want)
			ts, err := maintenance.Stats(ctx, tb.st, maintenance.StatsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if ts.Disk[maintenance.KindData].Files != 1 || ts.Versions.Count != 1 {
				t.Errorf("after cleanup: disk %+v, versions %d", ts.Disk, ts.Versions.Count)
			}
		})
	}
}
