package file

import (
	"encoding/binary"
	"fmt"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// footerSize is the length of the fixed footer at the end of every v2 file.
const footerSize = 40

// magic ends every Lance file, legacy or v2.
const magic = "LANC"

// footer is the decoded fixed-size tail of a v2 file.
type footer struct {
	columnMetaStart uint64 // first byte of the column metadata messages
	cmoTableStart   uint64 // column-metadata-offset table
	gboTableStart   uint64 // global-buffer-offset table
	numGlobalBufs   uint32
	numColumns      uint32
	major, minor    uint16 // as stored (0.3 for format 2.0)
}

// Version is a table-level file format version (2.0, 2.1, 2.2).
type Version struct {
	Major, Minor int
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// AtLeast reports whether v is the same as or newer than major.minor.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// parseFooter decodes the last footerSize bytes of a file. tail must end at
// the end of the file.
func parseFooter(tail []byte, path string) (footer, Version, error) {
	if len(tail) < 8 || string(tail[len(tail)-4:]) != magic {
		return footer{}, Version{}, fmt.Errorf("%w: %s: not a Lance file (no LANC magic)", lanceerr.ErrCorrupt, path)
	}
	// Both the legacy and the v2 footers end with major, minor, magic.
	major := binary.LittleEndian.Uint16(tail[len(tail)-8:])
	minor := binary.LittleEndian.Uint16(tail[len(tail)-6:])
	v, err := tableVersion(major, minor, path)
	if err != nil {
		return footer{}, Version{}, err
	}
	if len(tail) < footerSize {
		return footer{}, Version{}, fmt.Errorf("%w: %s: file shorter than the %d-byte footer", lanceerr.ErrCorrupt, path, footerSize)
	}
	b := tail[len(tail)-footerSize:]
	f := footer{
		columnMetaStart: binary.LittleEndian.Uint64(b[0:]),
		cmoTableStart:   binary.LittleEndian.Uint64(b[8:]),
		gboTableStart:   binary.LittleEndian.Uint64(b[16:]),
		numGlobalBufs:   binary.LittleEndian.Uint32(b[24:]),
		numColumns:      binary.LittleEndian.Uint32(b[28:]),
		major:           major,
		minor:           minor,
	}
	return f, v, nil
}

// tableVersion maps the version numbers stored in a footer to the table
// format version. The 2.0 writer stores 0.3; 0.1 and 0.2 (and 0.0) are the
// legacy v1 layout, which this reader does not implement.
func tableVersion(major, minor uint16, path string) (Version, error) {
	switch {
	case major == 0 && minor <= 2:
		return Version{}, fmt.Errorf("%w: %s: legacy v1 file format (%d.%d)", lanceerr.ErrUnsupported, path, major, minor)
	case major == 0 && minor == 3, major == 2 && minor == 0:
		return Version{2, 0}, nil
	case major == 2 && (minor == 1 || minor == 2):
		return Version{2, int(minor)}, nil
	default:
		return Version{}, fmt.Errorf("%w: %s: unknown file format version %d.%d", lanceerr.ErrUnsupported, path, major, minor)
	}
}
