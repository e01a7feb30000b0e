package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// The markers around the table in README.md.
const (
	BeginMarker = "<!-- bench:begin -->"
	EndMarker   = "<!-- bench:end -->"
)

// Splice returns doc with what is between the markers replaced by table.
// Everything outside the markers stays byte for byte.
func Splice(doc, table []byte) ([]byte, error) {
	i := bytes.Index(doc, []byte(BeginMarker))
	if i < 0 {
		return nil, fmt.Errorf("no %s marker", BeginMarker)
	}
	start := i + len(BeginMarker)
	j := bytes.Index(doc[start:], []byte(EndMarker))
	if j < 0 {
		return nil, fmt.Errorf("no %s marker after %s", EndMarker, BeginMarker)
	}
	end := start + j
	if bytes.Contains(doc[end+len(EndMarker):], []byte(BeginMarker)) {
		return nil, fmt.Errorf("more than one %s marker", BeginMarker)
	}
	var out bytes.Buffer
	out.Write(doc[:start])
	out.WriteString("\n")
	out.Write(bytes.TrimSpace(table))
	out.WriteString("\n")
	out.Write(doc[end:])
	return out.Bytes(), nil
}

// WriteReadme puts table between the markers of the file at path,
// replacing the file in one rename.
func WriteReadme(path string, table []byte) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	out, err := Splice(doc, table)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".readme-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
