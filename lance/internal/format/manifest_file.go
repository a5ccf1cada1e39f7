package format

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/pb"
)

// Manifest file layout: length-prefixed protobuf sections (u32 LE length,
// then the message) followed by a 16-byte tail: i64 LE position of the
// Manifest section, i16 major, i16 minor, "LANC".
const (
	manifestTailLen = 16
	manifestMagic   = "LANC"
	// Version numbers written in the tail. Readers check only the magic;
	// lance 0.19 wrote 0.1 and newer lance writes 0.2.
	manifestMajor = 0
	manifestMinor = 2
)

// deterministic serialisation keeps map entries in a stable order, so
// that encoding the same manifest twice yields the same bytes.
var deterministic = proto.MarshalOptions{Deterministic: true}

// ManifestFile is the decoded content of one manifest file.
type ManifestFile struct {
	Manifest *pb.Manifest
	// Indexes is the inline index section, nil when the manifest has none.
	Indexes *pb.IndexSection
	// Transaction holds the serialized inline Transaction message, nil when
	// absent. It is kept raw: readers never need it.
	Transaction []byte
}

// DecodeManifestFile parses manifest file bytes. path only names the file
// in errors.
func DecodeManifestFile(path string, data []byte) (*ManifestFile, error) {
	size := len(data)
	if size < manifestTailLen+4 {
		return nil, corruptf(path, "manifest is %d bytes, too short", size)
	}
	tail := data[size-manifestTailLen:]
	if string(tail[12:16]) != manifestMagic {
		return nil, corruptf(path, "manifest magic %q, want %q", tail[12:16], manifestMagic)
	}
	pos := int64(binary.LittleEndian.Uint64(tail[0:8]))
	bodyEnd := int64(size - manifestTailLen)
	if pos < 0 || pos+4 > bodyEnd {
		return nil, corruptf(path, "manifest position %d out of range (body is %d bytes)", pos, bodyEnd)
	}
	msgLen := int64(binary.LittleEndian.Uint32(data[pos : pos+4]))
	if msgLen != bodyEnd-pos-4 {
		return nil, corruptf(path, "manifest length %d does not match the %d bytes before the tail", msgLen, bodyEnd-pos-4)
	}
	m := &pb.Manifest{}
	if err := proto.Unmarshal(data[pos+4:bodyEnd], m); err != nil {
		return nil, corruptf(path, "manifest message: %v", err)
	}
	out := &ManifestFile{Manifest: m}
	if m.IndexSection != nil {
		b, err := section(path, "index section", data[:pos], *m.IndexSection)
		if err != nil {
			return nil, err
		}
		idx := &pb.IndexSection{}
		if err := proto.Unmarshal(b, idx); err != nil {
			return nil, corruptf(path, "index section: %v", err)
		}
		out.Indexes = idx
	}
	if m.TransactionSection != nil {
		b, err := section(path, "transaction section", data[:pos], *m.TransactionSection)
		if err != nil {
			return nil, err
		}
		out.Transaction = append([]byte(nil), b...)
	}
	return out, nil
}

// section returns the message bytes of the length-prefixed section at off,
// which must lie within body (everything before the Manifest section).
func section(path, what string, body []byte, off uint64) ([]byte, error) {
	if off > uint64(len(body)) || uint64(len(body))-off < 4 {
		return nil, corruptf(path, "%s offset %d out of range (%d bytes)", what, off, len(body))
	}
	n := uint64(binary.LittleEndian.Uint32(body[off : off+4]))
	if n > uint64(len(body))-off-4 {
		return nil, corruptf(path, "%s length %d at %d overruns the file", what, n, off)
	}
	return body[off+4 : off+4+n], nil
}

// EncodeManifestFile serialises a manifest in the file layout Lance writes:
// the optional index section first (so its offset is 0), then the optional
// transaction, then the manifest and the tail. It sets m.IndexSection and
// m.TransactionSection to the offsets used (clearing them when the
// corresponding part is absent); the rest of m is written as given.
func EncodeManifestFile(m *pb.Manifest, indexes *pb.IndexSection, transaction []byte) ([]byte, error) {
	var buf []byte
	appendSection := func(b []byte) (uint64, error) {
		if uint64(len(b)) > math.MaxUint32 {
			return 0, fmt.Errorf("format: manifest section of %d bytes exceeds the u32 length prefix", len(b))
		}
		off := uint64(len(buf))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(b)))
		buf = append(buf, b...)
		return off, nil
	}
	m.IndexSection = nil
	m.TransactionSection = nil
	if indexes != nil {
		b, err := deterministic.Marshal(indexes)
		if err != nil {
			return nil, fmt.Errorf("format: encode index section: %w", err)
		}
		off, err := appendSection(b)
		if err != nil {
			return nil, err
		}
		m.IndexSection = proto.Uint64(off)
	}
	if transaction != nil {
		off, err := appendSection(transaction)
		if err != nil {
			return nil, err
		}
		m.TransactionSection = proto.Uint64(off)
	}
	b, err := deterministic.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("format: encode manifest: %w", err)
	}
	pos, err := appendSection(b)
	if err != nil {
		return nil, err
	}
	buf = binary.LittleEndian.AppendUint64(buf, pos)
	buf = binary.LittleEndian.AppendUint16(buf, manifestMajor)
	buf = binary.LittleEndian.AppendUint16(buf, manifestMinor)
	buf = append(buf, manifestMagic...)
	return buf, nil
}
