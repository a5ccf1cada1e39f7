package filewriter

import (
	"context"
	"fmt"
	"os"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb/enc21"
	"github.com/resona-go/resona/lance/internal/storage"
	"bytes"
	"github.com/resona-go/resona/lance/internal/file"
)

func TestZZScratchManifest(t *testing.T) {
	dir := os.Getenv("ZZDIR")
	if dir == "" {
		t.Skip()
	}
	m, err := format.LoadManifest(context.Background(), storage.NewLocal(dir), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.PB.Fields {
		fmt.Println(prototext.Format(f))
	}
	for _, fr := range m.PB.Fragments {
		fmt.Println(prototext.Format(fr))
	}
	fmt.Println(m.PB.DataFormat, m.PB.ReaderFeatureFlags, m.PB.WriterFeatureFlags)
}

func TestZZScratchFile(t *testing.T) {
	path := os.Getenv("ZZFILE")
	if path == "" {
		t.Skip()
	}
	data, _ := os.ReadFile(path)
	rd, err := file.Open(context.Background(), bytes.NewReader(data), int64(len(data)), path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(rd.Version())
	fmt.Println(prototext.Format(rd.Schema()))
	for i, c := range rd.Columns() {
		if c.Encoding != nil {
			fmt.Printf("col %d colenc url %q value %x bufs %v\n", i, c.Encoding.GetTypeUrl(), c.Encoding.GetValue(), c.Buffers)
		} else {
			fmt.Printf("col %d colenc nil bufs %v\n", i, c.Buffers)
		}
		for j, p := range c.Pages {
			if j > 2 {
				break
			}
			var l enc21.PageLayout
			proto.Unmarshal(p.Encoding.GetValue(), &l)
			fmt.Printf("col %d page %d rows %d first %d bufs %v url %s\n%s\n", i, j, p.NumRows, p.FirstRow, p.Buffers, p.Encoding.GetTypeUrl(), prototext.Format(&l))
			if os.Getenv("ZZHEX") != "" {
				for _, b := range p.Buffers {
					e := b.Offset + b.Size
					if b.Size > 256 {
						e = b.Offset + 256
					}
					fmt.Printf("  %x\n", data[b.Offset:e])
				}
			}
		}
	}
}
