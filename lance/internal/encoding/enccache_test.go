package encoding

import (
	"errors"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

func anyEncoding(t *testing.T, e *enc20.ArrayEncoding) *anypb.Any {
	t.Helper()
	b, err := proto.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return &anypb.Any{TypeUrl: "/" + arrayEncodingURL, Value: b}
}

func TestEncodingCacheDecodesEachPageOnce(t *testing.T) {
	want := &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Flat{Flat: &enc20.Flat{BitsPerValue: 32}}}
	a, b := anyEncoding(t, want), anyEncoding(t, want)
	var c EncodingCache
	first, err := c.get(a)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(first, want) {
		t.Fatalf("decoded %v, want %v", first, want)
	}
	again, err := c.get(a)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Error("second lookup of the same page decoded its encoding again")
	}
	other, err := c.get(b)
	if err != nil {
		t.Fatal(err)
	}
	if other == first {
		t.Error("two pages share one cache entry")
	}
}

func TestEncodingCacheConcurrentLookupsAgree(t *testing.T) {
	a := anyEncoding(t, &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Flat{Flat: &enc20.Flat{BitsPerValue: 8}}})
	var c EncodingCache
	got := make([]*enc20.ArrayEncoding, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			e, err := c.get(a)
			if err != nil {
				t.Error(err)
			}
			got[i] = e
		})
	}
	wg.Wait()
	for i, e := range got {
		if e != got[0] {
			t.Fatalf("lookup %d returned a different decoded encoding", i)
		}
	}
}

func TestEncodingCacheErrors(t *testing.T) {
	var nilCache *EncodingCache
	cases := map[string]struct {
		c    *EncodingCache
		a    *anypb.Any
		want error
	}{
		"missing encoding":            {&EncodingCache{}, nil, lanceerr.ErrCorrupt},
		"2.1 layout in a 2.0 file":    {&EncodingCache{}, &anypb.Any{TypeUrl: "/lance.encodings21.PageLayout"}, lanceerr.ErrUnsupported},
		"garbage bytes":               {&EncodingCache{}, &anypb.Any{TypeUrl: "/" + arrayEncodingURL, Value: []byte{0xff}}, lanceerr.ErrCorrupt},
		"nil cache decodes each time": {nilCache, &anypb.Any{TypeUrl: "/" + arrayEncodingURL, Value: []byte{0xff}}, lanceerr.ErrCorrupt},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := tc.c.get(tc.a); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.c != nil {
				n := 0
				tc.c.m.Range(func(any, any) bool { n++; return true })
				if n != 0 {
					t.Errorf("a failed decode left %d cache entries", n)
				}
			}
		})
	}
}
