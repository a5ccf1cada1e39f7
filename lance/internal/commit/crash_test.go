package commit

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Environment of the crash helper process.
const (
	envCrashDir       = "RESONA_COMMIT_CRASH_DIR"
	envCrashFailpoint = "RESONA_COMMIT_CRASH_FAILPOINT"
)

// TestCrashHelper is not a test on its own: TestCrashRecovery runs the test
// binary again with it selected, as a writer that appends 7 rows and kills
// itself with SIGKILL at the named failpoint.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("helper process only")
	}
	fp := os.Getenv(envCrashFailpoint)
	ctx := context.Background()
	st := storage.NewLocal(dir)
	m, err := format.LoadManifest(ctx, st, 0)
	if err != nil {
		t.Fatal(err)
	}
	txn := appendTxn(t, dir, m.Version, 1000, 7)
	_, err = Commit(ctx, st, txn, Options{Failpoint: func(name string) error {
		if name == fp {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never returns: the signal ends the process
		}
		return nil
	}})
	t.Fatalf("the writer survived failpoint %q (err %v)", fp, err)
}

func runCrashHelper(t *testing.T, dir, failpoint string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashFailpoint+"="+failpoint)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("helper did not fail: %v\n%s", err, out)
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper was not killed at %s: %v\n%s", failpoint, err, out)
	}
}

// TestCrashRecovery kills a writer at each failpoint and checks that the
// table is left at the last committed version with every committed row
// count intact, no version half visible, and that the next commit works.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	failpoints := []string{FailAfterDataWrite, FailAfterTxnWrite, FailBeforeManifestLink, FailAfterManifestLink, FailBeforeHint}
	for _, scheme := range []format.NamingScheme{format.SchemeV1, format.SchemeV2} {
		for _, fp := range failpoints {
			if fp == FailBeforeHint && scheme == format.SchemeV1 {
				continue // V1 tables without a hint never reach it
			}
			t.Run(scheme.String()+"/"+fp, func(t *testing.T) {
				dir, st := newTable(t, scheme, 10)
				if _, err := Commit(ctx, st, appendTxn(t, dir, 1, 10, 5), Options{}); err != nil {
					t.Fatal(err)
				}
				runCrashHelper(t, dir, fp)

				committed := fp == FailAfterManifestLink || fp == FailBeforeHint
				want := map[uint64]uint64{1: 10, 2: 15}
				latest := uint64(2)
				if committed {
					want[3] = 22
					latest = 3
				}
				m := verifyTable(t, st, want)
				if m.Version != latest {
					t.Fatalf("latest version %d, want %d", m.Version, latest)
				}
				if scheme == format.SchemeV2 {
					// The hint may lag behind; it must never lead.
					if h, ok := format.ReadVersionHint(ctx, st); !ok || h > latest || (!committed && h != latest) {
						t.Errorf("hint %d (%v) with latest %d", h, ok, latest)
					}
				}
				res, err := Commit(ctx, st, appendTxn(t, dir, m.Version, 2000, 3), Options{})
				if err != nil {
					t.Fatalf("commit after the crash: %v", err)
				}
				want[latest+1] = want[latest] + 3
				verifyTable(t, st, want)
				if scheme == format.SchemeV2 {
					if h, _ := format.ReadVersionHint(ctx, st); h != res.Version {
						t.Errorf("hint %d after recovery commit %d", h, res.Version)
					}
				}
			})
		}
	}
}

// TestCrashLeavesStagingManifest covers a writer that died inside the
// create-only put: its staging file (complete or truncated) must not count
// as a version and must not block the next commit of that version.
func TestCrashLeavesStagingManifest(t *testing.T) {
	ctx := context.Background()
	for _, scheme := range []format.NamingScheme{format.SchemeV1, format.SchemeV2} {
		t.Run(scheme.String(), func(t *testing.T) {
			dir, st := newTable(t, scheme, 10)
			full, err := st.ReadAll(ctx, scheme.ManifestPath(1))
			if err != nil {
				t.Fatal(err)
			}
			next := scheme.ManifestPath(2)
			for i, data := range [][]byte{full, full[:len(full)/2]} {
				if err := os.WriteFile(dir+"/"+next+"#"+strconv.Itoa(i+1), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if m := verifyTable(t, st, map[uint64]uint64{1: 10}); m.Version != 1 {
				t.Fatalf("latest %d with staging files present", m.Version)
			}
			if _, err := Commit(ctx, st, appendTxn(t, dir, 1, 10, 2), Options{}); err != nil {
				t.Fatal(err)
			}
			verifyTable(t, st, map[uint64]uint64{1: 10, 2: 12})
		})
	}
}
