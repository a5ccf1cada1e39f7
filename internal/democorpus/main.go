// Command democorpus writes a corpus of real text for trying resona: the
// package documentation of the Go distribution that builds it, one JSON
// Lines item per package ({"id": import path, "text": doc comment,
// "metadata": {...}}). Every machine that can build resona has this text,
// so the demo needs no download.
//
//	go run ./internal/democorpus [-goroot DIR] [-o FILE] [-parts N]
//
// With -parts N the items are dealt into N files FILE-1.jsonl … FILE-N.jsonl
// (FILE without its .jsonl extension), to feed resona in several runs the
// way notes arrive over time.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	goroot := flag.String("goroot", "", "Go distribution to read (default: `go env GOROOT`)")
	out := flag.String("o", "-", "output file, - for standard output")
	parts := flag.Int("parts", 1, "split the items into this many files")
	internal := flag.Bool("internal", false, "include internal packages (more text, fewer well-known topics)")
	flag.Parse()
	if *parts < 1 || (*parts > 1 && *out == "-") {
		fmt.Fprintln(os.Stderr, "democorpus: -parts needs -o FILE and a positive count")
		os.Exit(2)
	}
	root := *goroot
	if root == "" {
		root = build.Default.GOROOT
	}
	if root == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			fmt.Fprintln(os.Stderr, "democorpus: cannot find the Go distribution: pass -goroot:", err)
			os.Exit(1)
		}
		root = strings.TrimSpace(string(out))
	}
	docs, err := Collect(filepath.Join(root, "src"), *internal)
	if err != nil {
		fmt.Fprintln(os.Stderr, "democorpus:", err)
		os.Exit(1)
	}
	if err := write(*out, *parts, docs); err != nil {
		fmt.Fprintln(os.Stderr, "democorpus:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "democorpus: %d packages from %s\n", len(docs), root)
}

func write(out string, parts int, docs []Doc) error {
	if out == "-" {
		return WriteJSONL(os.Stdout, docs)
	}
	if parts == 1 {
		return writeFile(out, docs)
	}
	base := strings.TrimSuffix(out, ".jsonl")
	per := (len(docs) + parts - 1) / parts
	for i := range parts {
		lo, hi := min(i*per, len(docs)), min((i+1)*per, len(docs))
		if err := writeFile(fmt.Sprintf("%s-%d.jsonl", base, i+1), docs[lo:hi]); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, docs []Doc) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteJSONL(f, docs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Doc is the documentation of one package or command.
type Doc struct {
	ImportPath string
	Name       string // package name ("main" for commands)
	File       string // file holding the doc comment, relative to src
	Text       string
}

// skipDir names folders that hold no documented packages of interest.
func skipDir(name string, internal bool) bool {
	return name == "testdata" || name == "vendor" || (name == "internal" && !internal) ||
		strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// Collect reads the package doc comment of every package under src
// (GOROOT/src), in import path order; internal packages only when asked. Packages without one are left out.
// Where several files carry a doc comment, doc.go wins, then the longest.
func Collect(src string, internal bool) ([]Doc, error) {
	var docs []Doc
	fset := token.NewFileSet()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != src && skipDir(d.Name(), internal) {
			return filepath.SkipDir
		}
		doc, ok, err := packageDoc(fset, src, path)
		if err != nil {
			return err
		}
		if ok {
			docs = append(docs, doc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].ImportPath < docs[j].ImportPath })
	return docs, nil
}

func packageDoc(fset *token.FileSet, src, dir string) (Doc, bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Doc{}, false, err
	}
	var best Doc
	found := false
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil || f.Doc == nil {
			continue
		}
		text := strings.TrimSpace(f.Doc.Text())
		if text == "" || strings.HasPrefix(text, "Code generated") {
			continue
		}
		rel, _ := filepath.Rel(src, filepath.Join(dir, name))
		cand := Doc{Name: f.Name.Name, File: filepath.ToSlash(rel), Text: text}
		if !found || name == "doc.go" || (filepath.Base(best.File) != "doc.go" && len(text) > len(best.Text)) {
			best, found = cand, true
		}
	}
	if !found {
		return Doc{}, false, nil
	}
	rel, _ := filepath.Rel(src, dir)
	best.ImportPath = filepath.ToSlash(rel)
	return best, true, nil
}

type item struct {
	ID       string         `json:"id"`
	Text     string         `json:"text"`
	Metadata map[string]any `json:"metadata"`
}

// WriteJSONL writes one resona item per package.
func WriteJSONL(w io.Writer, docs []Doc) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, d := range docs {
		kind := "package"
		if d.Name == "main" {
			kind = "command"
		}
		if err := enc.Encode(item{
			ID:       d.ImportPath,
			Text:     d.Text,
			Metadata: map[string]any{"kind": kind, "package": d.Name, "file": "$GOROOT/src/" + d.File},
		}); err != nil {
			return err
		}
	}
	return bw.Flush()
}
