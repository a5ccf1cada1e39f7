package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// inputItem is one item to embed, as read from JSON Lines or a file.
type inputItem struct {
	ID          string
	Text        string
	ContextText string
	Metadata    map[string]any
}

// jsonLine is the JSON Lines record: {"id","text","contextText","metadata"}.
type jsonLine struct {
	ID          *string         `json:"id"`
	Text        *string         `json:"text"`
	ContextText string          `json:"contextText"`
	Metadata    json.RawMessage `json:"metadata"`
}

// maxLineBytes bounds one JSON line, so that a file without newlines does
// not grow memory without limit.
const maxLineBytes = 64 << 20

// readJSONL reads items, one JSON object per line; blank lines are skipped.
// Errors name the input and the 1-based line number.
func readJSONL(r io.Reader, name string) ([]inputItem, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	var items []inputItem
	seen := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		}
		if len(raw) == 0 {
			continue
		}
		it, err := parseLine(raw)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if prev, dup := seen[it.ID]; dup {
			return nil, fmt.Errorf("%s:%d: id %q already given on line %d; ids must be unique", name, line, it.ID, prev)
		}
		seen[it.ID] = line
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than %d MiB", name, line+1, maxLineBytes>>20)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return items, nil
}

func parseLine(raw []byte) (inputItem, error) {
	var rec jsonLine
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&rec); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return inputItem{}, fmt.Errorf("field %q must be %s, not %s", te.Field, wantType(te.Field), te.Value)
		case errors.As(err, &se):
			return inputItem{}, fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, err)
		}
		return inputItem{}, fmt.Errorf("malformed JSON: %v", err)
	}
	if dec.More() {
		return inputItem{}, errors.New("malformed JSON: more than one value on the line (want one object per line)")
	}
	if rec.ID == nil || strings.TrimSpace(*rec.ID) == "" {
		return inputItem{}, errors.New(`missing "id" (want {"id": "...", "text": "..."})`)
	}
	if rec.Text == nil || strings.TrimSpace(*rec.Text) == "" {
		return inputItem{}, fmt.Errorf(`item %q: missing or empty "text"`, *rec.ID)
	}
	it := inputItem{ID: *rec.ID, Text: *rec.Text, ContextText: rec.ContextText}
	if len(rec.Metadata) > 0 && string(rec.Metadata) != "null" {
		if err := json.Unmarshal(rec.Metadata, &it.Metadata); err != nil {
			return inputItem{}, fmt.Errorf(`item %q: "metadata" must be a JSON object`, it.ID)
		}
	}
	return it, nil
}

func wantType(field string) string {
	if field == "metadata" {
		return "an object"
	}
	return "a string"
}

// textExtensions are the files --dir embeds.
var textExtensions = []string{".md", ".markdown", ".mdx", ".txt", ".text", ".rst", ".org", ".adoc"}

// maxFileBytes skips files too large to be notes.
const maxFileBytes = 16 << 20

// readDir collects the text and Markdown files under dir, skipping hidden
// files and folders. Ids are paths relative to dir with forward slashes.
// warn receives files that were skipped and why.
func readDir(dir string, warn func(string)) ([]inputItem, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("--dir: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("--dir %s: not a directory", dir)
	}
	var items []inputItem
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if path != dir && (strings.HasPrefix(name, ".") || name == "node_modules") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !slices.Contains(textExtensions, strings.ToLower(filepath.Ext(name))) {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > maxFileBytes {
			warn(fmt.Sprintf("%s: skipped, larger than %d MiB", rel, maxFileBytes>>20))
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(data) {
			warn(rel + ": skipped, not UTF-8 text")
			return nil
		}
		text := string(data)
		if strings.TrimSpace(text) == "" {
			warn(rel + ": skipped, empty")
			return nil
		}
		items = append(items, inputItem{
			ID:       rel,
			Text:     text,
			Metadata: map[string]any{"path": rel, "bytes": fi.Size()},
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("--dir %s: %w", dir, err)
	}
	return items, nil
}
