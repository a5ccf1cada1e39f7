package v21

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// packRef packs 1024 values of tBits bits into FastLanes layout at width w,
// bit by bit, straight from the layout definition: logical value
// flOrder[r/8]*16 + (r%8)*128 + lane is row r of lane lane, and the rows of
// a lane are laid LSB first over words lane, lane+lanes, lane+2*lanes, ...
func packRef(vals []uint64, tBits, w int) []byte {
	lanes := 1024 / tBits
	words := make([]uint64, lanes*w)
	for lane := 0; lane < lanes; lane++ {
		for row := 0; row < tBits; row++ {
			v := vals[flOrder[row/8]*16+(row%8)*128+lane]
			for b := 0; b < w; b++ {
				if v>>uint(b)&1 == 1 {
					bit := row*w + b
					words[(bit/tBits)*lanes+lane] |= 1 << uint(bit%tBits)
				}
			}
		}
	}
	out := make([]byte, len(words)*tBits/8)
	for i, wd := range words {
		switch tBits {
		case 8:
			out[i] = byte(wd)
		case 16:
			binary.LittleEndian.PutUint16(out[2*i:], uint16(wd))
		case 32:
			binary.LittleEndian.PutUint32(out[4*i:], uint32(wd))
		case 64:
			binary.LittleEndian.PutUint64(out[8*i:], wd)
		}
	}
	return out
}

func putWord(tBits int, v uint64) []byte {
	b := make([]byte, tBits/8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}

func TestUnpackInlineAllWidths(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tBits := range []int{8, 16, 32, 64} {
		for w := 0; w <= tBits; w++ {
			n := 1024 + 1 + rng.IntN(1023)
			var data []byte
			want := make([]uint64, 2048)
			for blk := 0; blk < 2; blk++ {
				vals := want[blk*1024 : (blk+1)*1024]
				for i := range vals {
					if w == 64 {
						vals[i] = rng.Uint64()
					} else {
						vals[i] = rng.Uint64() & (1<<uint(w) - 1)
					}
				}
				data = append(data, putWord(tBits, uint64(w))...)
				data = append(data, packRef(vals, tBits, w)...)
			}
			got, err := UnpackInline(data, tBits, n)
			if err != nil {
				t.Fatalf("T=%d w=%d: %v", tBits, w, err)
			}
			for i := 0; i < n; i++ {
				if g := readUint(got[i*tBits/8:], tBits/8); g != want[i] {
					t.Fatalf("T=%d w=%d value %d: got %d want %d", tBits, w, i, g, want[i])
				}
			}
		}
	}
}

func TestUnpackOutOfLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tBits := range []int{8, 16, 32, 64} {
		for _, w := range []int{1, 3, tBits / 2, tBits - 1} {
			for _, rawTail := range []bool{false, true} {
				n := 2048 + 300
				want := make([]uint64, 3072)
				for i := range want[:n] {
					want[i] = rng.Uint64() & (1<<uint(w) - 1)
				}
				var data []byte
				for blk := 0; blk < 2; blk++ {
					data = append(data, packRef(want[blk*1024:(blk+1)*1024], tBits, w)...)
				}
				if rawTail {
					for _, v := range want[2048:n] {
						data = append(data, putWord(tBits, v)...)
					}
				} else {
					data = append(data, packRef(want[2048:], tBits, w)...)
				}
				got, err := UnpackOutOfLine(data, tBits, w, n)
				if err != nil {
					t.Fatalf("T=%d w=%d raw=%v: %v", tBits, w, rawTail, err)
				}
				for i := 0; i < n; i++ {
					if g := readUint(got[i*tBits/8:], tBits/8); g != want[i] {
						t.Fatalf("T=%d w=%d raw=%v value %d: got %d want %d", tBits, w, rawTail, i, g, want[i])
					}
				}
			}
		}
	}
}

func TestUnpackCorrupt(t *testing.T) {
	cases := map[string]func() error{
		"width above type": func() error { _, err := UnpackInline([]byte{9, 0}, 8, 10); return err },
		"truncated block":  func() error { _, err := UnpackInline([]byte{3, 1, 2}, 8, 10); return err },
		"bad type width":   func() error { _, err := UnpackInline([]byte{3}, 12, 1); return err },
		"short out-of-line": func() error {
			_, err := UnpackOutOfLine(make([]byte, 10), 16, 3, 2000)
			return err
		},
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, lanceerr.ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
}

func BenchmarkUnpackInline32(b *testing.B) {
	vals := make([]uint64, 1024)
	for i := range vals {
		vals[i] = uint64(i*7) & (1<<17 - 1)
	}
	data := append(putWord(32, 17), packRef(vals, 32, 17)...)
	b.SetBytes(4096)
	for b.Loop() {
		if _, err := UnpackInline(data, 32, 1024); err != nil {
			b.Fatal(err)
		}
	}
}
