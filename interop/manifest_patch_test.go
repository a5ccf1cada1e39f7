package interop

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protowire"
)

// Manifest fields touched here (protos/table.proto).
const (
	manifestReaderFlagsField protowire.Number = 9
	manifestWriterFlagsField protowire.Number = 10
)

// manifestPath returns the manifest file of version v in a table directory,
// whichever naming scheme the table uses.
func manifestPath(tableDir string, v uint64) (string, error) {
	for _, name := range []string{
		fmt.Sprintf("%d.manifest", v),
		fmt.Sprintf("%020d.manifest", math.MaxUint64-v),
	} {
		p := filepath.Join(tableDir, "_versions", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no manifest of version %d in %s", v, tableDir)
}

// setManifestFlags rewrites a manifest file with the feature flag field num
// set to flags. The Manifest message is the last section before the 16-byte
// tail, so earlier sections (index, transaction) keep their offsets and only
// the message, its length prefix and the tail change.
func setManifestFlags(path string, num protowire.Number, flags uint64) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) < 20 || string(data[len(data)-4:]) != "LANC" {
		return fmt.Errorf("%s: not a manifest file", path)
	}
	tail := data[len(data)-16:]
	pos := binary.LittleEndian.Uint64(tail[:8])
	end := uint64(len(data) - 16)
	if pos+4 > end {
		return fmt.Errorf("%s: manifest position %d out of range", path, pos)
	}
	msg := data[pos+4 : end]
	var out []byte
	for len(msg) > 0 {
		n, typ, l := protowire.ConsumeTag(msg)
		if l < 0 {
			return fmt.Errorf("%s: bad tag: %w", path, protowire.ParseError(l))
		}
		vl := protowire.ConsumeFieldValue(n, typ, msg[l:])
		if vl < 0 {
			return fmt.Errorf("%s: bad field %d: %w", path, n, protowire.ParseError(vl))
		}
		if n != num {
			out = append(out, msg[:l+vl]...)
		}
		msg = msg[l+vl:]
	}
	out = protowire.AppendTag(out, num, protowire.VarintType)
	out = protowire.AppendVarint(out, flags)

	patched := append([]byte(nil), data[:pos]...)
	patched = binary.LittleEndian.AppendUint32(patched, uint32(len(out)))
	patched = append(patched, out...)
	patched = binary.LittleEndian.AppendUint64(patched, pos)
	patched = append(patched, tail[8:]...)
	return os.WriteFile(path, patched, 0o644)
}

// readManifestFlags returns the varint field num of a manifest file (0 when
// absent).
func readManifestFlags(path string, num protowire.Number) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pos := binary.LittleEndian.Uint64(data[len(data)-16:])
	msg := data[pos+4 : len(data)-16]
	var v uint64
	for len(msg) > 0 {
		n, typ, l := protowire.ConsumeTag(msg)
		if l < 0 {
			return 0, protowire.ParseError(l)
		}
		if n == num && typ == protowire.VarintType {
			x, xl := protowire.ConsumeVarint(msg[l:])
			if xl < 0 {
				return 0, protowire.ParseError(xl)
			}
			v = x
		}
		vl := protowire.ConsumeFieldValue(n, typ, msg[l:])
		if vl < 0 {
			return 0, protowire.ParseError(vl)
		}
		msg = msg[l+vl:]
	}
	return v, nil
}

// copyTree copies a table directory.
func copyTree(dst, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
