package file

import (
	"bytes"
	"fmt"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"io"
	"slices"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func bytesReader(b []byte) io.ReaderAt { return bytes.NewReader(b) }

// validate runs Arrow's full validation where the array type has one,
// recursing into children.
func validate(a arrow.Array) error {
	if v, ok := a.(interface{ ValidateFull() error }); ok {
		if err := v.ValidateFull(); err != nil {
			return err
		}
	}
	switch x := a.(type) {
	case *array.Struct:
		for i := 0; i < x.NumField(); i++ {
			if x.Field(i).Len() != x.Len() {
				return fmt.Errorf("struct child %d has %d rows, struct %d", i, x.Field(i).Len(), x.Len())
			}
			if err := validate(x.Field(i)); err != nil {
				return err
			}
		}
	case array.ListLike:
		return validate(x.ListValues())
	}
	return nil
}

func sortRows(rows []uint64) { slices.Sort(rows) }

type countingReader struct {
	r     io.ReaderAt
	calls int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.calls++
	return c.r.ReadAt(p, off)
}
