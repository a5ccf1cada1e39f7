package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fileConfig is the config file: defaults for flags the user would
// otherwise repeat. API keys are deliberately absent: they come from the
// environment only, so that the file can be shared or committed.
type fileConfig struct {
	DB         string `json:"db,omitempty"`
	Provider   string `json:"provider,omitempty"`
	Model      string `json:"model,omitempty"`
	Endpoint   string `json:"endpoint,omitempty"`
	Dimensions int    `json:"dimensions,omitempty"`
}

// configPath returns the config file to read and whether the user named it
// (a named file must exist; the default one may be absent).
func (a *app) configPath() (string, bool) {
	if a.configFlag != "" {
		return a.expandHome(a.configFlag), true
	}
	if p := a.env("RESONA_CONFIG"); p != "" {
		return a.expandHome(p), true
	}
	if x := a.env("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "resona", "config.json"), false
	}
	if h := a.env("HOME"); h != "" {
		return filepath.Join(h, ".config", "resona", "config.json"), false
	}
	return "", false
}

func (a *app) loadConfig() error {
	path, named := a.configPath()
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !named {
			return nil
		}
		return fmt.Errorf("config file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c fileConfig
	if err := dec.Decode(&c); err != nil {
		return fmt.Errorf("config file %s: %v (want a JSON object with keys db, provider, model, endpoint, dimensions)", path, err)
	}
	a.cfg = c
	a.logger.Debug("config loaded", "path", path)
	return nil
}

// dbPath resolves the table directory: --db, RESONA_DB, the config file,
// then the per-user default. A name ending in .db maps to .lance.
func (a *app) dbPath() (string, error) {
	p := firstSet(a.dbFlag, a.env("RESONA_DB"), a.cfg.DB)
	if p == "" {
		base := a.env("XDG_DATA_HOME")
		if base == "" {
			h := a.env("HOME")
			if h == "" {
				return "", errors.New("no table given and no home directory: pass --db PATH or set RESONA_DB")
			}
			base = filepath.Join(h, ".local", "share")
		}
		p = filepath.Join(base, "resona", "resona.lance")
	}
	p = a.expandHome(p)
	if strings.HasSuffix(p, ".db") {
		p = strings.TrimSuffix(p, ".db") + ".lance"
	}
	return filepath.Clean(p), nil
}

func (a *app) expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if h := a.env("HOME"); h != "" {
			return filepath.Join(h, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
