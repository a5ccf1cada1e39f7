package maintenance

import (
	"fmt"
	"io"

	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// writerVersion returns the file format compaction writes for a table of
// the given data storage version. New files must match the table's
// version exactly: Lance refuses tables whose files mix versions.
func writerVersion(storage string) (filewriter.Version, error) {
	switch storage {
	case "2.0":
		return filewriter.Version2_0, nil
	case "2.1":
		return filewriter.Version2_1, nil
	case "2.2":
		return filewriter.Version2_2, nil
	}
	return 0, fmt.Errorf("%w: maintenance: the table stores data format %s; compaction writes only 2.0, 2.1 and 2.2 files",
		lanceerr.ErrUnsupported, storage)
}

// checkWritable fails when the writer cannot store the table's schema in
// files of version v, before any row is read or file created. Refusals
// that depend on the data (null items in a fixed-size list, for instance)
// only surface while writing.
func checkWritable(m *format.Manifest, v filewriter.Version) error {
	if _, err := filewriter.New(io.Discard, m.Schema.Arrow, m.PB.Fields, filewriter.Options{Version: v}); err != nil {
		return fmt.Errorf("maintenance: compaction cannot write this table's schema in format %s: %w", v, err)
	}
	return nil
}
