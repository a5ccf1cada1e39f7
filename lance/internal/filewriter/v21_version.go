package filewriter

import (
	"fmt"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// Version is the Lance file format a Writer produces.
type Version int

const (
	// Version2_0 is file format 2.0 (footer 0.3), what LanceDB 0.13 writes.
	// It is the zero value.
	Version2_0 Version = iota
	// Version2_1 is file format 2.1: structural encodings with u16 mini-block
	// chunk metadata.
	Version2_1
	// Version2_2 is file format 2.2, what LanceDB 0.39 (lance 12) writes and
	// requires in tables created as 2.2: like 2.1 but mini-block chunks use
	// u32 metadata words and value-buffer sizes (has_large_chunk).
	Version2_2
)

// The DataFile file_major_version / file_minor_version a manifest records
// for files of each Version (FileMajorVersion/FileMinorVersion are 2.0's).
const (
	FileMajorVersion21 = 2
	FileMinorVersion21 = 1
	FileMajorVersion22 = 2
	FileMinorVersion22 = 2
)

func (v Version) check() error {
	if v < Version2_0 || v > Version2_2 {
		return fmt.Errorf("%w: filewriter: unknown file version %d", lanceerr.ErrInvalidArgument, int(v))
	}
	return nil
}

// structural reports the 2.1+ formats, where only leaf fields are columns.
func (v Version) structural() bool { return v >= Version2_1 }

// largeChunks reports 2.2's u32 mini-block metadata and value sizes.
func (v Version) largeChunks() bool { return v >= Version2_2 }

// FileVersion returns what a manifest's DataFile records for files of v.
func (v Version) FileVersion() (major, minor uint32) {
	switch v {
	case Version2_1:
		return FileMajorVersion21, FileMinorVersion21
	case Version2_2:
		return FileMajorVersion22, FileMinorVersion22
	}
	return FileMajorVersion, FileMinorVersion
}

// String is the version as manifests spell data_format.version.
func (v Version) String() string {
	major, minor := v.FileVersion()
	return fmt.Sprintf("%d.%d", major, minor)
}

// footer returns the version written in the file footer: 2.0 files say
// 0.3, later ones their own number.
func (v Version) footer() (uint16, uint16) {
	if !v.structural() {
		return footerMajor, footerMinor
	}
	major, minor := v.FileVersion()
	return uint16(major), uint16(minor)
}
