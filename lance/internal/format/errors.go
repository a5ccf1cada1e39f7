package format

import (
	"fmt"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// corruptf returns an error wrapping lanceerr.ErrCorrupt that names the file.
func corruptf(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", lanceerr.ErrCorrupt, path, fmt.Sprintf(format, args...))
}

// unsupportedf returns an error wrapping lanceerr.ErrUnsupported.
func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", lanceerr.ErrUnsupported, fmt.Sprintf(format, args...))
}
