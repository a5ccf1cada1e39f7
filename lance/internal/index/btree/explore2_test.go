package btree

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
	"google.golang.org/protobuf/encoding/prototext"
)

func TestExploreManifest(t *testing.T) {
	p := os.Getenv("EXPLORE_DS")
	if p == "" {
		t.Skip()
	}
	m, err := format.LoadManifest(context.Background(), storage.NewLocal(p), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, ix := range m.Indexes {
		fmt.Println(prototext.Format(ix.PB), ix.Type, ix.UUID)
	}
	for _, f := range m.Schema.Fields {
		fmt.Printf("%+v\n", f)
	}
}
