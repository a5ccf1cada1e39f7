package format

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

func randomOffsets(n int, limit uint32, seed uint64) *roaring.Bitmap {
	r := rand.New(rand.NewPCG(seed, 1))
	bm := roaring.New()
	for bm.GetCardinality() < uint64(n) {
		bm.Add(r.Uint32N(limit))
	}
	return bm
}

func TestDeletionFileRoundTrip(t *testing.T) {
	for _, n := range []int{1, 10, 4999, 5000, 5001, 70000} {
		want := randomOffsets(n, 200000, uint64(n))
		kind, data, err := EncodeDeletionFile(want)
		if err != nil {
			t.Fatal(err)
		}
		wantKind := DeletionArrow
		if n > DeletionBitmapThreshold {
			wantKind = DeletionBitmap
		}
		if kind != wantKind {
			t.Errorf("%d offsets written as %s", n, kind.Extension())
		}
		got, err := DecodeDeletionFile("x", kind, data)
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		if !got.Equals(want) {
			t.Errorf("%d offsets: round trip differs", n)
		}
		if kind == DeletionArrow {
			// The independent arrow-go reader must agree.
			r, err := ipc.NewFileReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := r.RecordBatch(0)
			if err != nil {
				t.Fatal(err)
			}
			col := rec.Column(0).(*array.Uint32)
			if rec.Schema().Field(0).Name != "row_id" || col.Len() != n {
				t.Fatalf("arrow-go sees %s with %d rows", rec.Schema(), col.Len())
			}
			for _, v := range col.Uint32Values() {
				if !want.Contains(v) {
					t.Fatalf("arrow-go read %d, not written", v)
				}
			}
			r.Close()
		}
	}
}

func TestWriteAndReadDeletions(t *testing.T) {
	ctx := context.Background()
	store := storage.NewLocal(t.TempDir())
	want := roaring.BitmapOf(3, 5, 99)
	pd, err := WriteDeletionFile(ctx, store, 7, 4, want)
	if err != nil {
		t.Fatal(err)
	}
	frag, err := newFragment("m", &pb.DataFragment{Id: 7, PhysicalRows: 100, DeletionFile: pd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(frag.Deletion.Path, "_deletions/7-4-") || !strings.HasSuffix(frag.Deletion.Path, ".arrow") {
		t.Errorf("path %q", frag.Deletion.Path)
	}
	got, err := ReadDeletions(ctx, store, &frag)
	if err != nil || !got.Equals(want) {
		t.Fatalf("read %v, %v", got, err)
	}
	if n, ok := frag.LiveRows(); !ok || n != 97 {
		t.Errorf("live rows %d", n)
	}

	// Offsets beyond the fragment and count mismatches are corruption.
	small := frag
	small.PhysicalRows = 99
	if _, err := ReadDeletions(ctx, store, &small); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("offset beyond rows: %v", err)
	}
	wrong := frag
	d := *frag.Deletion
	d.NumDeletedRows = 4
	wrong.Deletion = &d
	if _, err := ReadDeletions(ctx, store, &wrong); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("count mismatch: %v", err)
	}
	if _, err := WriteDeletionFile(ctx, store, 7, 4, roaring.New()); err == nil {
		t.Error("empty deletion file written")
	}
}

func TestDeletionFileCorrupt(t *testing.T) {
	_, good, err := EncodeDeletionFile(roaring.BitmapOf(1, 2, 3, 1000))
	if err != nil {
		t.Fatal(err)
	}
	lance, err := os.ReadFile("testdata/v39/_deletions/0-3-3370416571144884355.arrow")
	if err != nil {
		t.Fatal(err)
	}
	// Every byte of a Go-written and a Lance-written file, set to values
	// that stress lengths and offsets: never a panic, only ErrCorrupt.
	for _, src := range [][]byte{good, lance} {
		for i := range src {
			for _, v := range []byte{0x00, 0xff, 0x7f, 0x80, src[i] ^ 1} {
				b := append([]byte(nil), src...)
				b[i] = v
				if _, err := DecodeDeletionFile("_deletions/0-1-2.arrow", DeletionArrow, b); err != nil && !errors.Is(err, lanceerr.ErrCorrupt) {
					t.Fatalf("byte %d = %#x: %v", i, v, err)
				}
			}
		}
	}
	for _, b := range [][]byte{nil, []byte("ARROW1"), good[:len(good)/2], []byte("garbage")} {
		if _, err := DecodeDeletionFile("_deletions/0-1-2.arrow", DeletionArrow, b); !errors.Is(err, lanceerr.ErrCorrupt) {
			t.Errorf("%d bytes: %v", len(b), err)
		}
		if _, err := DecodeDeletionFile("_deletions/0-1-2.bin", DeletionBitmap, b); !errors.Is(err, lanceerr.ErrCorrupt) {
			t.Errorf("bin %d bytes: %v", len(b), err)
		}
	}
}

func TestDeletionBitmapMutations(t *testing.T) {
	src, err := os.ReadFile("testdata/v39/_deletions/0-4-11307158811863429930.bin")
	if err != nil {
		t.Fatal(err)
	}
	for i := range src {
		for _, v := range []byte{0x00, 0xff, 0x7f, src[i] ^ 1} {
			b := append([]byte(nil), src...)
			b[i] = v
			if _, err := DecodeDeletionFile("x.bin", DeletionBitmap, b); err != nil && !errors.Is(err, lanceerr.ErrCorrupt) {
				t.Fatalf("byte %d = %#x: %v", i, v, err)
			}
		}
	}
}

// The bitmap encoder reproduces Lance's .bin files byte for byte.
func TestDeletionBitmapMatchesLance(t *testing.T) {
	for _, p := range []string{
		"testdata/v13/_deletions/0-4-1142175567609917481.bin",
		"testdata/v39/_deletions/0-4-11307158811863429930.bin",
	} {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		bm, err := DecodeDeletionFile(p, DeletionBitmap, src)
		if err != nil {
			t.Fatal(err)
		}
		kind, out, err := EncodeDeletionFile(bm)
		if err != nil || kind != DeletionBitmap || !bytes.Equal(out, src) {
			t.Errorf("%s: re-encoded %d bytes (kind %s, %v), Lance wrote %d", p, len(out), kind.Extension(), err, len(src))
		}
	}
}
