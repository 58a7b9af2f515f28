package windows

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// FileJournal keeps an undo log in one JSON file. Put it in permc's
// state folder, never below a root the sandbox may write, or one run
// could rewrite what the next undoes.
type FileJournal struct {
	Path string
}

// Load reads the log; nil when the file does not exist.
func (j FileJournal) Load() (*UndoLog, error) {
	b, err := os.ReadFile(j.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var l UndoLog
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("undo log %s: %w", j.Path, err)
	}
	return &l, nil
}

// Save writes the log through a temporary file and a rename, so a crash
// leaves the previous log or the new one, never half of one.
func (j FileJournal) Save(l *UndoLog) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(j.Path), ".undo-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), j.Path)
}

// Clear removes the log once everything in it was undone.
func (j FileJournal) Clear() error {
	err := os.Remove(j.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
