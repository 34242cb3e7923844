package output

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCheckOutputFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path string
		ok         bool
	}{
		{"existing folder", filepath.Join(dir, "report.html"), true},
		{"missing folder", filepath.Join(dir, "missing", "report.html"), false},
		{"a folder", dir, false},
	}
	for _, tt := range tests {
		err := CheckOutputFile(tt.path)
		if (err == nil) != tt.ok {
			t.Errorf("%s: CheckOutputFile(%s) = %v, want ok %v", tt.name, tt.path, err, tt.ok)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the probe left %d files behind", len(ents))
	}
}
