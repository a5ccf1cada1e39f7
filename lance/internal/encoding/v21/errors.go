package v21

import (
	"fmt"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// corruptf reports data that breaks the 2.1/2.2 encoding rules.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: v2.1 encoding: %s", lanceerr.ErrCorrupt, fmt.Sprintf(format, args...))
}

// unsupportedf reports a valid encoding this package does not decode.
func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: v2.1 encoding: %s", lanceerr.ErrUnsupported, fmt.Sprintf(format, args...))
}
