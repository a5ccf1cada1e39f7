package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/spf13/cobra"

	"github.com/resona-go/resona/lance"
)

func (a *app) exportCommand() *cobra.Command {
	var withVectors bool
	var version uint64
	cmd := &cobra.Command{
		Use:   "export [--with-vectors] [--version N]",
		Short: "Print the table as JSON Lines",
		Long: `Print every row of the embeddings table as one JSON object per line, with the
table's column names. Vectors are left out unless --with-vectors is given.
--version reads an older version of the table (see the versions in
` + "`resona embed stats`" + `), as long as cleanup has not removed it.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts []lance.OpenOption
			if cmd.Flags().Changed("version") {
				if version == 0 {
					return usagef("--version must be at least 1")
				}
				opts = append(opts, lance.WithVersion(version))
			}
			ds, err := a.openTable(cmd.Context(), opts...)
			if errors.Is(err, lance.ErrNotFound) && len(opts) > 0 {
				return a.noSuchVersion(cmd.Context(), version, err)
			}
			if err != nil {
				return err
			}
			defer ds.Close()
			return a.export(cmd, ds, withVectors)
		},
	}
	cmd.Flags().BoolVar(&withVectors, "with-vectors", false, "include the vector column")
	cmd.Flags().Uint64Var(&version, "version", 0, "table version to read (default: the latest)")
	return cmd
}

func (a *app) export(cmd *cobra.Command, ds *lance.Dataset, withVectors bool) error {
	var cols []string
	for _, f := range ds.Schema().Fields() {
		if f.Name == "vector" && !withVectors {
			continue
		}
		cols = append(cols, f.Name)
	}
	w := bufio.NewWriterSize(a.stdout, 256<<10)
	var line bytes.Buffer
	rows := 0
	for rec, err := range ds.Scan(cmd.Context(), lance.ScanOptions{Columns: cols}) {
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := writeRecordJSONL(w, &line, rec); err != nil {
			return err
		}
		rows += int(rec.NumRows())
	}
	a.logger.Debug("export done", "rows", rows, "version", ds.Version())
	return w.Flush()
}

// writeRecordJSONL writes one JSON object per row, fields in schema order.
func writeRecordJSONL(w *bufio.Writer, line *bytes.Buffer, rec arrow.RecordBatch) error {
	sc := rec.Schema()
	names := make([][]byte, rec.NumCols())
	for c := range names {
		n, _ := json.Marshal(sc.Field(c).Name)
		names[c] = n
	}
	for r := 0; r < int(rec.NumRows()); r++ {
		line.Reset()
		line.WriteByte('{')
		for c := 0; c < int(rec.NumCols()); c++ {
			if c > 0 {
				line.WriteByte(',')
			}
			line.Write(names[c])
			line.WriteByte(':')
			v, err := json.Marshal(rec.Column(c).GetOneForMarshal(r))
			if err != nil {
				return fmt.Errorf("export: column %s: %w", sc.Field(c).Name, err)
			}
			line.Write(v)
		}
		line.WriteString("}\n")
		if _, err := w.Write(line.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// noSuchVersion names the versions that do exist.
func (a *app) noSuchVersion(ctx context.Context, version uint64, err error) error {
	ds, oerr := a.openTable(ctx)
	if oerr != nil {
		return err
	}
	defer ds.Close()
	vs, verr := ds.Versions(ctx)
	if verr != nil || len(vs) == 0 {
		return err
	}
	list := make([]string, 0, len(vs))
	for _, v := range vs {
		list = append(list, strconv.FormatUint(v.Version, 10))
	}
	if len(list) > 12 {
		list = append(list[:5], append([]string{"…"}, list[len(list)-5:]...)...)
	}
	return fmt.Errorf("version %d is not on disk (never written, or removed by cleanup); the table has versions %s", version, strings.Join(list, ", "))
}
