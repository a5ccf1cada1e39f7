package fsst

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// table serializes a symbol table, packed or padded to MaxTableSize.
func table(compressed, padded bool, symbols ...string) []byte {
	h := magic | uint64(len(symbols))
	if compressed {
		h |= 1 << 24
	}
	b := binary.LittleEndian.AppendUint64(nil, h)
	for _, s := range symbols {
		var w [8]byte
		copy(w[:], s)
		b = append(b, w[:]...)
	}
	for _, s := range symbols {
		b = append(b, byte(len(s)))
	}
	if padded {
		b = append(b, make([]byte, MaxTableSize-len(b))...)
	}
	return b
}

func TestDecode(t *testing.T) {
	for _, padded := range []bool{false, true} {
		tab, err := ParseTable(table(true, padded, "hello", " ", "world!!!"))
		if err != nil {
			t.Fatal(err)
		}
		src := []byte{0, 1, 2, 255, '?'}
		if n := tab.DecompressedLen(src); n != 15 {
			t.Errorf("DecompressedLen = %d, want 15", n)
		}
		got, err := tab.AppendValue([]byte("> "), src)
		if err != nil || string(got) != "> hello world!!!?" {
			t.Errorf("AppendValue = %q, %v", got, err)
		}
	}
	raw, err := ParseTable(table(false, true))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := raw.AppendValue(nil, []byte{0, 255}); raw.Compressed() || err != nil || string(got) != "\x00\xff" {
		t.Errorf("uncompressed table: %q, %v", got, err)
	}
}

func TestCorrupt(t *testing.T) {
	tab, err := ParseTable(table(true, false, "ab"))
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]func() error{
		"unknown code":    func() error { _, err := tab.AppendValue(nil, []byte{1}); return err },
		"trailing escape": func() error { _, err := tab.AppendValue(nil, []byte{255}); return err },
		"no magic":        func() error { _, err := ParseTable(make([]byte, 16)); return err },
		"short":           func() error { _, err := ParseTable(table(true, false, "ab", "cd")[:20]); return err },
		"long":            func() error { _, err := ParseTable(make([]byte, MaxTableSize+1)); return err },
		"zero length":     func() error { _, err := ParseTable(table(true, false, "")); return err },
	}
	for name, f := range bad {
		if err := f(); !errors.Is(err, lanceerr.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

func FuzzTable(f *testing.F) {
	f.Add(table(true, false, "hello", " ", "world"), []byte{0, 1, 2, 255, 'x'})
	f.Add(table(true, true, "a"), []byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, b, src []byte) {
		tab, err := ParseTable(b)
		if err != nil {
			return
		}
		out, err := tab.AppendValue(nil, src)
		if err == nil && uint64(len(out)) != tab.DecompressedLen(src) {
			t.Fatalf("decoded %d bytes, DecompressedLen says %d", len(out), tab.DecompressedLen(src))
		}
	})
}
