package format

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// Feature flag bits of Manifest.reader_feature_flags / writer_feature_flags.
const (
	FlagDeletionFiles          uint64 = 1
	FlagStableRowIDs           uint64 = 2
	FlagUseV2FormatDeprecated  uint64 = 4
	FlagTableConfig            uint64 = 8
	FlagBasePaths              uint64 = 16
	FlagDisableTransactionFile uint64 = 32
)

// flagNames names every bit Lance has defined, including the ones newer
// Lance releases added and this package does not implement.
var flagNames = map[uint64]string{
	1:    "FLAG_DELETION_FILES (deletion files)",
	2:    "FLAG_STABLE_ROW_IDS (stable row ids)",
	4:    "FLAG_USE_V2_FORMAT_DEPRECATED (deprecated v2 format marker)",
	8:    "FLAG_TABLE_CONFIG (table config)",
	16:   "FLAG_BASE_PATHS (multiple base paths)",
	32:   "FLAG_DISABLE_TRANSACTION_FILE (inline transactions only)",
	64:   "FLAG_UNSTABLE_DATA_OVERLAY_FILES (data overlay files)",
	128:  "FLAG_COVERED_INDEX_METADATA (covering index columns)",
	256:  "FLAG_MIXED_DATA_FILE_VERSIONS (mixed data file versions)",
	512:  "FLAG_FRAG_REUSE_WITH_STABLE_ROW_IDS (fragment reuse index with stable row ids)",
	1024: "FLAG_FRAGMENT_REUSE_INDEX (tagged fragment reuse index transitions)",
	2048: "FLAG_MANAGED_BLOBS (managed blob v2 objects; some Lance builds name this bit FLAG_SEMANTIC_TYPES)",
}

// readerSupported are the reader bits this package can read. FlagBasePaths
// is accepted here and refined per manifest: only base paths that are
// trivially the dataset root are readable.
const readerSupported = FlagDeletionFiles | FlagStableRowIDs | FlagUseV2FormatDeprecated |
	FlagTableConfig | FlagBasePaths | FlagDisableTransactionFile

// writerSupported are the writer bits the write path honours. Stable row ids
// would require maintaining row-id sequences, and multiple bases are never
// written, so both make a table read-only.
const writerSupported = FlagDeletionFiles | FlagUseV2FormatDeprecated | FlagTableConfig |
	FlagDisableTransactionFile

// FlagName returns Lance's name for a single flag bit, or "" if Lance has
// not defined it (as far as this package knows).
func FlagName(bit uint64) string { return flagNames[bit] }

// describeBits lists every set bit of mask with its name.
func describeBits(mask uint64) string {
	var parts []string
	for mask != 0 {
		b := uint64(1) << bits.TrailingZeros64(mask)
		mask &^= b
		if n := flagNames[b]; n != "" {
			parts = append(parts, fmt.Sprintf("%d = %s", b, n))
		} else {
			parts = append(parts, fmt.Sprintf("%d (not defined by any Lance release known here)", b))
		}
	}
	return strings.Join(parts, ", ")
}

// CheckReaderFlags fails with lanceerr.ErrUnsupported when flags has a bit
// this package cannot read. path names the manifest in the message.
func CheckReaderFlags(path string, flags uint64) error {
	if unknown := flags &^ readerSupported; unknown != 0 {
		return fmt.Errorf("%w: %s: reader feature flags %d require features this engine does not support: %s",
			lanceerr.ErrUnsupported, path, flags, describeBits(unknown))
	}
	return nil
}

// WriterFlagsReason returns nil when the write path honours every writer
// bit, otherwise an error wrapping lanceerr.ErrReadOnly and
// lanceerr.ErrUnsupported that says which bits prevent writing.
func WriterFlagsReason(flags uint64) error {
	if unknown := flags &^ writerSupported; unknown != 0 {
		return fmt.Errorf("%w: %w: writer feature flags %d require features this engine cannot write: %s",
			lanceerr.ErrReadOnly, lanceerr.ErrUnsupported, flags, describeBits(unknown))
	}
	return nil
}
