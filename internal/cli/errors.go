package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/provider"
)

// explain adds what to do to errors whose own message does not say it.
func explain(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted; nothing after the last completed write was stored, run the command again to continue")
	case errors.Is(err, lance.ErrCommitConflict):
		return fmt.Errorf("%v: another process changed the table at the same time; run the command again", err)
	case errors.Is(err, lance.ErrCorrupt):
		return fmt.Errorf("%v: the table is damaged; `resona embed export --version N` can read an older version", err)
	case errors.Is(err, provider.ErrAuth) && !strings.Contains(msg, "API_KEY"):
		return fmt.Errorf("%v: check OPENAI_API_KEY or VOYAGE_API_KEY", err)
	case errors.Is(err, provider.ErrModelNotFound) && !strings.Contains(msg, "pull"):
		return fmt.Errorf("%v: pick an available model with --model (for Ollama: `ollama pull <model>`)", err)
	}
	return err
}
