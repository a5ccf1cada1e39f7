package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "resona",
		Short: "Semantic embeddings and vector search for personal knowledge",
		Long: `resona embeds texts (notes, documents, JSON Lines exports) into a local Lance
table, searches them by meaning, and keeps the table healthy.

The table lives in the directory given by --db, RESONA_DB or the "db" key of
the config file, in that order; the default is ` + "`$XDG_DATA_HOME/resona/resona.lance`" + `
(~/.local/share/resona/resona.lance). A path ending in .db is taken as the
same name ending in .lance, as TypeScript Resona does.

Provider settings come from flags, then RESONA_PROVIDER / RESONA_MODEL /
RESONA_ENDPOINT, then the config file ($XDG_CONFIG_HOME/resona/config.json,
~/.config/resona/config.json, or --config), for example:

  {"db": "~/notes.lance", "provider": "ollama", "model": "nomic-embed-text"}

API keys are read from OPENAI_API_KEY and VOYAGE_API_KEY, the Ollama server
from OLLAMA_HOST. RESONA_DEBUG=1 logs every step to stderr.

Exit codes: 0 success, 1 failure, 2 wrong command line.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Parsing succeeded by the time a hook runs: later errors are not
		// usage errors.
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			a.started = true
			return a.loadConfig()
		},
	}
	root.CompletionOptions.HiddenDefaultCmd = false
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbFlag, "db", "", "table directory (default $RESONA_DB, config \"db\", or $XDG_DATA_HOME/resona/resona.lance)")
	pf.StringVar(&a.configFlag, "config", "", "config file (default $XDG_CONFIG_HOME/resona/config.json)")
	pf.BoolVar(&a.jsonOut, "json", false, "print data as JSON instead of text")

	root.AddCommand(a.embedCommand(), a.versionCommand())
	return root
}

func (a *app) embedCommand() *cobra.Command {
	embed := &cobra.Command{
		Use:   "embed",
		Short: "Generate, search, inspect and maintain embeddings",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q: want one of generate, search, stats, maintain, export", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("missing subcommand: want one of generate, search, stats, maintain, export")
		},
	}
	embed.AddCommand(a.generateCommand(), a.searchCommand(), a.statsCommand(), a.maintainCommand(), a.exportCommand())
	return embed
}

// addProviderFlags adds the provider settings to the commands that embed.
func (a *app) addProviderFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&a.providerFlag, "provider", "", "embedding provider: local (built in, offline; the default), ollama, openai or voyage")
	fl.StringVar(&a.modelFlag, "model", "", "model of the provider (default: the provider's default model)")
	fl.StringVar(&a.endpointFlag, "endpoint", "", "base URL of the provider's API (default: OLLAMA_HOST or the provider's default)")
	fl.IntVar(&a.dimensionsFlag, "dimensions", 0, "vector length, for models that allow choosing it")
	_ = cmd.RegisterFlagCompletionFunc("provider", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return providerNames(), cobra.ShellCompDirectiveNoFileComp
	})
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

func joinArgs(args []string) string { return strings.TrimSpace(strings.Join(args, " ")) }
