package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
)

// Settings are the values changed on a phone's web pages. Each field is
// set only once a page changed it; at the next start these values are laid
// over the YAML's (Apply), as a desk phone keeps what its web UI saved over
// what provisioning gave it.
type Settings struct {
	// ActionURL is the whole Action URL set, keyed by event key.
	ActionURL map[string]string `json:"action_url,omitempty"`
	// ActiveURI is the switch and the allow-list.
	ActiveURI *config.ActiveURI `json:"active_uri,omitempty"`
	DND       *bool             `json:"dnd,omitempty"`
	Forward   *config.Forward   `json:"forward,omitempty"`
	// Lines are the accounts saved on the Lines page, by line number
	// (1-based), password included (the file is 0600, as a phone's flash).
	Lines map[int]config.Line `json:"lines,omitempty"`
	// DSS are the keys saved on the DSS keys page, by key number
	// (1-based); an empty type is a key cleared on the page.
	DSS map[int]config.DSSKey `json:"dss,omitempty"`
}

// StateFileName is the state file of a phone in dir.
func StateFileName(dir, phone string) string {
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, phone)
	return filepath.Join(dir, safe+".state.json")
}

// Apply lays the settings over p and names the fields they set, for the
// Status page ("from the state file").
func (s Settings) Apply(p *config.Phone) (fields []string, err error) {
	if s.ActionURL != nil {
		urls := make(config.ActionURLs, len(s.ActionURL))
		for key, u := range s.ActionURL {
			ev, err := emulator.ParseEventKey(key)
			if err != nil {
				return nil, fmt.Errorf("state file: action_url: %w", err)
			}
			if u != "" {
				urls[ev] = u
			}
		}
		p.ActionURL = urls
		fields = append(fields, "action_url")
	}
	if s.ActiveURI != nil {
		p.ActiveURI = *s.ActiveURI
		fields = append(fields, "active_uri")
	}
	if s.DND != nil {
		p.DND = *s.DND
		fields = append(fields, "dnd")
	}
	if s.Forward != nil {
		p.Forward = *s.Forward
		fields = append(fields, "forward")
	}
	if len(s.Lines) > 0 {
		p.Lines = slices.Clone(p.Lines) // not the YAML's array
	}
	for _, n := range slices.Sorted(maps.Keys(s.Lines)) {
		if n < 1 || n > len(p.Lines) {
			return nil, fmt.Errorf("state file: lines: no line L%d in the configuration", n)
		}
		l := s.Lines[n]
		l.AutoAnswerDelay = p.Lines[n-1].AutoAnswerDelay // not on the page
		p.Lines[n-1] = l
		fields = append(fields, fmt.Sprintf("lines.L%d", n))
	}
	if len(s.DSS) > 0 {
		keys := slices.Sorted(maps.Keys(s.DSS))
		if keys[0] < 1 || keys[len(keys)-1] > emulator.MaxDSS {
			return nil, fmt.Errorf("state file: dss: keys are D1 to D%d", emulator.MaxDSS)
		}
		dss := make([]config.DSSKey, max(len(p.DSS), keys[len(keys)-1]))
		copy(dss, p.DSS)
		for _, n := range keys {
			dss[n-1] = s.DSS[n]
		}
		p.DSS = dss
		fields = append(fields, "dss")
	}
	return fields, nil
}

// Store is one phone's state file. Every Update rewrites the whole file
// atomically: a crash mid-write leaves the old file or the new one.
type Store struct {
	path string
	mu   sync.Mutex
	cur  Settings
}

// OpenStore reads the state file at path if there is one (a missing file
// is an empty Settings).
func OpenStore(path string) (*Store, Settings, error) {
	st := &Store{path: path}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return st, Settings{}, nil
	case err != nil:
		return nil, Settings{}, fmt.Errorf("state file: %w", err)
	}
	if err := json.Unmarshal(data, &st.cur); err != nil {
		return nil, Settings{}, fmt.Errorf("state file %s: %w", path, err)
	}
	return st, st.copy(), nil
}

// Path is where the state file is.
func (st *Store) Path() string { return st.path }

func (st *Store) copy() Settings {
	c := st.cur
	if c.ActionURL != nil {
		c.ActionURL = make(map[string]string, len(st.cur.ActionURL))
		for k, v := range st.cur.ActionURL {
			c.ActionURL[k] = v
		}
	}
	c.Lines = maps.Clone(c.Lines)
	c.DSS = maps.Clone(c.DSS)
	if c.ActiveURI != nil {
		a := *c.ActiveURI
		a.Allow = slices.Clone(a.Allow)
		c.ActiveURI = &a
	}
	return c
}

// Settings returns a copy of what the file holds.
func (st *Store) Settings() Settings {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.copy()
}

// Update changes the settings with fn and writes the file; if the write
// fails the settings in memory stay as they were.
func (st *Store) Update(fn func(*Settings)) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	next := st.copy()
	fn(&next)
	data, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(st.path, append(data, '\n')); err != nil {
		return err
	}
	st.cur = next
	return nil
}

// WriteFileAtomic replaces path with data: a temp file in the same
// directory, fsync, rename over path, fsync of the directory. rename(2) is
// atomic on POSIX file systems, so a reader (or the next start after a
// kill -9) sees the old file or the new one, never a mix.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil { // it may hold Action URL credentials
		return fmt.Errorf("state file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename itself survives a power cut
		d.Close()
	}
	return nil
}
