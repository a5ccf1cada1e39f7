package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// modulePath is the module whose version `resona version` reports.
const modulePath = "github.com/resona-go/resona"

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of resona",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := buildVersion()
			if a.jsonOut {
				return writeJSON(a.stdout, info)
			}
			fmt.Fprintf(a.stdout, "resona %s (%s, %s/%s", info.Version, info.Go, info.OS, info.Arch)
			if info.Revision != "" {
				fmt.Fprintf(a.stdout, ", commit %s", info.Revision)
				if info.Modified {
					fmt.Fprint(a.stdout, "+dirty")
				}
			}
			fmt.Fprintln(a.stdout, ")")
			return nil
		},
	}
}

type versionInfo struct {
	Version  string `json:"version"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	Revision string `json:"revision,omitempty"`
	Modified bool   `json:"modified,omitempty"`
}

// buildVersion reads the module version and VCS stamp the Go toolchain
// recorded in the binary: "(devel)" for a build from a checkout, the tag
// for `go install …@vX.Y.Z`.
func buildVersion() versionInfo {
	v := versionInfo{Version: "(devel)", Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Path == modulePath && bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
			if len(v.Revision) > 12 {
				v.Revision = v.Revision[:12]
			}
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}
