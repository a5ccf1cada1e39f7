package file

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

func sentinel(err error) bool {
	return errors.Is(err, lanceerr.ErrCorrupt) || errors.Is(err, lanceerr.ErrUnsupported) ||
		errors.Is(err, lanceerr.ErrInvalidArgument) || errors.Is(err, lanceerr.ErrNotFound)
}

// FuzzFooter opens files whose footer fields are chosen by the fuzzer, in
// front of a real file body.
func FuzzFooter(f *testing.F) {
	body := vectorFile(f, 4, 10, 5)
	n := len(body)
	ft := body[n-footerSize:]
	f.Add(binary.LittleEndian.Uint64(ft), binary.LittleEndian.Uint64(ft[8:]), binary.LittleEndian.Uint64(ft[16:]),
		binary.LittleEndian.Uint32(ft[24:]), binary.LittleEndian.Uint32(ft[28:]), uint16(0), uint16(3), 0)
	f.Add(uint64(0), uint64(0), uint64(0), uint32(0), uint32(0), uint16(2), uint16(1), 100)
	f.Fuzz(func(t *testing.T, cm, cmo, gbo uint64, ngb, ncol uint32, major, minor uint16, cut int) {
		b := append([]byte(nil), body[:n-footerSize]...)
		if cut > 0 && cut < len(b) {
			b = b[cut:]
		}
		b = binary.LittleEndian.AppendUint64(b, cm)
		b = binary.LittleEndian.AppendUint64(b, cmo)
		b = binary.LittleEndian.AppendUint64(b, gbo)
		b = binary.LittleEndian.AppendUint32(b, ngb)
		b = binary.LittleEndian.AppendUint32(b, ncol)
		b = binary.LittleEndian.AppendUint16(b, major)
		b = binary.LittleEndian.AppendUint16(b, minor)
		b = append(b, magic...)
		exercise(t, b)
	})
}

// FuzzOpen opens arbitrary bytes as a Lance file and, when that works,
// reads every field: the outcome is data or a sentinel error, never a panic.
func FuzzOpen(f *testing.F) {
	// Small seeds: the fuzzer minimizes every new input, which takes long
	// for inputs of tens of KiB.
	b, err := os.ReadFile(filepath.Join("testdata", "legacy.lance"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(vectorFile(f, 4, 10, 3))
	f.Add(nestedFile(f))
	f.Add([]byte("LANC"))
	f.Fuzz(func(t *testing.T, b []byte) {
		exercise(t, b)
	})
}

func exercise(t *testing.T, b []byte) {
	ctx := context.Background()
	r, err := Open(ctx, bytesReader(b), int64(len(b)), "fuzz.lance")
	if err != nil {
		if !sentinel(err) {
			t.Fatalf("error without a sentinel: %v", err)
		}
		return
	}
	r.SetMaxDecodeBytes(1 << 22)
	fields, err := arrowFields(r.Schema())
	if err != nil {
		return
	}
	col := 0
	for _, f := range fields {
		end := min(r.NumRows(), 64)
		if arr, err := r.ReadRange(ctx, f, col, 0, end); err == nil {
			if uint64(arr.Len()) != end {
				t.Fatalf("%d rows, want %d", arr.Len(), end)
			}
			_ = arr.String()
		} else if !sentinel(err) {
			t.Fatalf("read %s: error without a sentinel: %v", f.Name, err)
		}
		if end > 2 {
			if _, err := r.Take(ctx, f, col, []uint64{0, end / 2, end - 1}); err != nil && !sentinel(err) {
				t.Fatalf("take %s: error without a sentinel: %v", f.Name, err)
			}
		}
		col += ColumnsUsed(f, r.FileVersion().Major, r.FileVersion().Minor)
	}
}
